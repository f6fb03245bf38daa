"""The verify role's filters (agnhost, netexec, DNS): one documented filter per file, errors named after it."""

from __future__ import annotations

import importlib

import pytest
import yaml
from ansible.errors import AnsibleFilterError

FILTERS = ["agnhost_image", "netexec_dial_path", "netexec_dial_result", "nslookup_addresses", "cluster_domain",
           "dns_records_check", "ips_outside_ranges", "verify_namespace_leftover"]


def load(name):
    return importlib.import_module("ansible_collections.dualstack.kubernetes.plugins.filter.%s" % name)


def f(name):
    return load(name).FilterModule().filters()[name]


@pytest.mark.parametrize("name", FILTERS)
def test_each_file_is_one_documented_filter(name):
    module = load(name)
    assert list(module.FilterModule().filters()) == [name]
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["name"] == name and doc["short_description"]
    assert yaml.safe_load(module.EXAMPLES) and yaml.safe_load(module.RETURN)["_value"]


def test_filters_compute():
    assert f("agnhost_image")("v1.34.12") == "registry.k8s.io/e2e-test-images/agnhost:2.56"
    assert f("netexec_dial_path")("ns", "p", 8080, "10.0.0.1", 80).startswith("/api/v1/namespaces/ns/pods/p:8080/proxy/dial?")
    assert f("netexec_dial_result")('{"responses": ["p"]}') == {"responses": ["p"], "errors": []}
    assert f("nslookup_addresses")("Server: 1.1.1.1\nAddress: 1.1.1.1#53\n\nName: x\nAddress: 10.0.0.1\n") == ["10.0.0.1"]
    assert f("cluster_domain")("search ns.svc.cluster.local\n", "ns") == "cluster.local"
    assert f("dns_records_check")(["10.0.0.1"], [], ["IPv4"], cluster_ips=["10.0.0.1"])["ok"]
    assert f("ips_outside_ranges")(["10.0.0.1", "10.1.0.1"], "10.0.0.0/16") == ["10.1.0.1"]


@pytest.mark.parametrize("name, args, kwargs, words", [
    ("agnhost_image", ("latest",), {}, "agnhost_image: 'latest' is not a Kubernetes version"),
    ("netexec_dial_path", ("ns", "p", 8080, "10.0.0.1", 80), {"protocol": "tcp"}, "netexec_dial_path: netexec protocol"),
    ("cluster_domain", ("", "ns"), {}, "cluster_domain: no 'search ns.svc.<domain>'"),
    ("dns_records_check", ([], [], ["IPv4"]), {}, "dns_records_check: give either"),
    ("nslookup_addresses", (), {}, "nslookup_addresses: wrong arguments"),
])
def test_filter_errors(name, args, kwargs, words):
    with pytest.raises(AnsibleFilterError) as err:
        f(name)(*args, **kwargs)
    assert words in str(err.value)


def test_verify_namespace_leftover_refuses_someone_elses_namespace_as_a_filter_error():
    assert f("verify_namespace_leftover")("", "dualstack-verify", {"a": "b"}) == "absent"
    with pytest.raises(AnsibleFilterError, match="^verify_namespace_leftover: namespace x exists but"):
        f("verify_namespace_leftover")('{"kind": "Namespace", "metadata": {"name": "x"}}', "x", {"a": "b"})
