# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The CNI and egress filters: one documented filter per file, AnsibleFilterError named after the filter."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

FILTERS = ["flannel_dualstack", "calico_dualstack", "calico_ippool", "ip_masq_agent_dualstack",
           "ipv6_masquerade_rules", "cni_ipam", "nodes_without_pod_cidr",
           "flannel_singlestack", "calico_singlestack", "ip_masq_agent_singlestack"]
FIXTURES = Path(__file__).resolve().parents[1] / "module_utils" / "fixtures" / "cni"
PODS = "10.244.0.0/16,fd00:10:244::/56"


def load(name):
    return importlib.import_module("ansible_collections.dualstack.kubernetes.plugins.filter.%s" % name)


def f(name):
    return load(name).FilterModule().filters()[name]


@pytest.mark.parametrize("name", FILTERS)
def test_each_file_is_one_documented_filter(name):
    module = load(name)
    assert list(module.FilterModule().filters()) == [name]
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert getattr(module, block).strip()
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["name"] == name and doc["version_added"] and doc["options"]["_input"]
    yaml.safe_load(module.EXAMPLES)
    yaml.safe_load(module.RETURN)


def fixture_objects(name):
    return [d for d in yaml.safe_load_all((FIXTURES / name).read_text()) if d]


def test_filters_compute_on_fixtures():
    flannel_cm = [d for d in fixture_objects("kube-flannel-v0.20.2.yml.txt") if d["kind"] == "ConfigMap"][0]
    assert '"EnableIPv6": true' in f("flannel_dualstack")(flannel_cm, pod_cidrs=PODS)["data"]["net-conf.json"]
    calico = [d for d in fixture_objects("calico.yaml.txt") if d["kind"] in ("ConfigMap", "DaemonSet")]
    assert len(f("calico_dualstack")(calico, pod_cidrs=PODS)) == 2
    assert f("calico_ippool")(PODS)["spec"]["cidr"] == "fd00:10:244::/56"
    masq = fixture_objects("ip-masq-agent.yaml.txt")[0]
    assert f("ip_masq_agent_dualstack")(masq, pod_cidrs=PODS)["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "--enable-ipv6=true"]
    assert f("ipv6_masquerade_rules")(PODS)[-1]["rule"][-1] == "MASQUERADE"
    assert f("cni_ipam")("calico", calico) is False
    # The way back gives the published objects again.
    assert f("flannel_singlestack")(f("flannel_dualstack")(flannel_cm, pod_cidrs=PODS)) == flannel_cm
    assert f("calico_singlestack")(calico) == calico
    assert f("ip_masq_agent_singlestack")(f("ip_masq_agent_dualstack")(masq, pod_cidrs=PODS)) == masq


@pytest.mark.parametrize(
    "name, args, kwargs, match",
    [
        ("flannel_dualstack", ({"kind": "DaemonSet"},), {"pod_cidrs": PODS}, "^flannel_dualstack: .*is not a ConfigMap"),
        ("calico_dualstack", ({"kind": "Pod"},), {"pod_cidrs": PODS}, "^calico_dualstack: .*not a Calico object"),
        ("calico_ippool", (PODS,), {"block_size": 64}, "^calico_ippool: blockSize 64"),
        ("ip_masq_agent_dualstack", ({"kind": "Service"},), {"pod_cidrs": PODS}, "^ip_masq_agent_dualstack: "),
        ("ipv6_masquerade_rules", ("10.244.0.0/16",), {}, "^ipv6_masquerade_rules: pod_cidrs"),
        ("cni_ipam", ("weave",), {}, "^cni_ipam: CNI 'weave' is not known"),
        ("cni_ipam", (), {}, "^cni_ipam: wrong arguments"),
        ("nodes_without_pod_cidr", ({"kind": "Pod"},), {"pod_cidrs": PODS}, "^nodes_without_pod_cidr: .*is not a Node"),
        ("flannel_singlestack", ({"kind": "DaemonSet"},), {}, "^flannel_singlestack: .*is not a ConfigMap"),
        ("calico_singlestack", ({"kind": "Pod"},), {}, "^calico_singlestack: .*not a Calico object"),
        ("ip_masq_agent_singlestack", ({"kind": "Service"},), {}, "^ip_masq_agent_singlestack: "),
    ],
)
def test_errors_are_filter_errors_named_after_the_filter(name, args, kwargs, match):
    with pytest.raises(AnsibleFilterError, match=match):
        f(name)(*args, **kwargs)
