"""The public filters: FQCN-level names, AnsibleFilterError, messages prefixed with the filter name."""

from __future__ import annotations

import importlib

import pytest
from ansible.errors import AnsibleFilterError

FILTERS = ["ip_family", "dualstack_cidrs", "node_cidr_mask_size", "feature_gates", "service_ip_family_spec", "node_converted",
           "complete_json"]


def load(name):
    module = importlib.import_module("ansible_collections.dualstack.kubernetes.plugins.filter.%s" % name)
    return module


@pytest.mark.parametrize("name", FILTERS)
def test_each_file_is_one_documented_filter(name):
    module = load(name)
    assert list(module.FilterModule().filters()) == [name]
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert getattr(module, block).strip()
    assert "name: %s" % name in module.DOCUMENTATION


def f(name):
    return load(name).FilterModule().filters()[name]


def test_filters_compute():
    assert f("ip_family")("fd00::1") == "IPv6"
    assert f("dualstack_cidrs")("10.244.0.0/16, FD00:10:244::/56") == ["10.244.0.0/16", "fd00:10:244::/56"]
    assert f("dualstack_cidrs")("10.96.0.0/16,fd00::/64", kind="service", kube_version="1.34") == ["10.96.0.0/16", "fd00::/64"]
    assert f("node_cidr_mask_size")("fd00:10:244::/56", nodes=3) == 64
    assert f("feature_gates")("IPv6DualStack=true,A=false", "1.25") == "A=false"
    assert f("service_ip_family_spec")("IPv6,IPv4", "1.30") == {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv6", "IPv4"]}


@pytest.mark.parametrize(
    "name, args, kwargs, words",
    [
        ("ip_family", ("nope",), {}, "ip_family: 'nope' is neither"),
        ("dualstack_cidrs", ("10.244.0.1/16",), {}, "dualstack_cidrs: '10.244.0.1/16' has host bits set"),
        ("dualstack_cidrs", ("10.96.0.0/16,fd00::/64",), {"kind": "service", "kube_version": "1.33"}, "is too large"),
        ("node_cidr_mask_size", ("10.244.0.0/24",), {"nodes": 3}, "node_cidr_mask_size: 10.244.0.0/24 cannot hold 3 node(s)"),
        ("feature_gates", ("",), {"kube_version": "1.15"}, "feature_gates: Kubernetes 1.15 has no"),
        ("service_ip_family_spec", ("IPv4,IPv6", "1.19"), {}, "service_ip_family_spec: Kubernetes 1.19"),
        ("feature_gates", (), {}, "feature_gates: wrong arguments"),
        ("dualstack_cidrs", ("10.0.0.0/8",), {"colour": "red"}, "dualstack_cidrs: wrong arguments"),
    ],
)
def test_filter_errors(name, args, kwargs, words):
    with pytest.raises(AnsibleFilterError) as err:
        f(name)(*args, **kwargs)
    assert words in str(err.value)


def test_node_converted_filter_reads_a_node_or_nothing():
    node = {"metadata": {"name": "w1"}, "spec": {"podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"]}}
    assert f("node_converted")(node, ["IPv4", "IPv6"]) is True
    assert f("node_converted")({}, ["IPv4", "IPv6"]) is False
