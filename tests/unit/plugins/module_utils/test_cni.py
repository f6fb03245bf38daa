# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""CNI and egress transformations, against the published upstream manifests in fixtures/cni/."""

from __future__ import annotations

import copy
import ipaddress
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dualstack.kubernetes.plugins.module_utils import cni
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

FIXTURES = Path(__file__).parent / "fixtures" / "cni"
PODS = ["10.244.0.0/16", "fd00:10:244::/56"]
SERVICES = ["10.96.0.0/16", "fd00:10:96::/112"]


def docs(name):
    return [doc for doc in yaml.safe_load_all((FIXTURES / name).read_text()) if doc]


def one(name, kind, obj_name=None):
    found = [d for d in docs(name) if d["kind"] == kind and (obj_name is None or d["metadata"]["name"] == obj_name)]
    assert len(found) == 1
    # What kubectl get -o json adds to a live object; the transformations must carry it through.
    live = copy.deepcopy(found[0])
    live["metadata"].update({"resourceVersion": "4711", "uid": "0b7c9a8e-1111-4222-8333-944455556666"})
    return live


def masq_config_text():
    """agent-config/config as published (the header comment lines dropped, no trailing newline)."""
    lines = (FIXTURES / "ip-masq-agent-config").read_text().splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith("#"))[:-1]


def masq_configmap(text=None):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ip-masq-agent", "namespace": "kube-system", "resourceVersion": "17"},
        "data": {"config": masq_config_text() if text is None else text},
    }


def env_of(daemonset, container="calico-node"):
    for item in daemonset["spec"]["template"]["spec"]["containers"]:
        if item["name"] == container:
            return item["env"]
    raise AssertionError(container)


def env_map(daemonset):
    return {e["name"]: e.get("value") for e in env_of(daemonset)}


def raises(match, func, *args, **kwargs):
    with pytest.raises(DualStackError, match=match) as info:
        func(*args, **kwargs)
    return str(info.value)


FLANNEL_FIXTURES = ["kube-flannel.yml.txt", "kube-flannel-v0.20.2.yml.txt"]


# ---------------------------------------------------------------------------------------------
# flannel
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FLANNEL_FIXTURES)
def test_flannel_published_configmap(fixture):
    before = one(fixture, "ConfigMap", "kube-flannel-cfg")
    pristine = copy.deepcopy(before)
    after = cni.flannel_dualstack(before, PODS)
    assert before == pristine, "input must not be changed"
    assert after["data"]["net-conf.json"] == (
        "{\n"
        '  "Network": "10.244.0.0/16",\n'
        '  "IPv6Network": "fd00:10:244::/56",\n'
        '  "EnableIPv6": true,\n'
        '  "Backend": {\n'
        '    "Type": "vxlan"\n'
        "  }\n"
        "}\n"
    )
    assert after["data"]["cni-conf.json"] == before["data"]["cni-conf.json"]
    assert after["metadata"] == before["metadata"]
    assert {k: v for k, v in after.items() if k != "data"} == {k: v for k, v in before.items() if k != "data"}


@pytest.mark.parametrize("fixture", FLANNEL_FIXTURES)
def test_flannel_idempotent(fixture):
    once = cni.flannel_dualstack(one(fixture, "ConfigMap"), PODS)
    assert cni.flannel_dualstack(once, PODS) == once
    assert cni.flannel_dualstack(once, "10.244.0.0/16, FD00:10:244:0::/56") == once


def test_flannel_pod_cidrs_forms_and_canonical_output():
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    out = cni.flannel_dualstack(cm, "10.244.0.0/16,FD00:10:244:0::/56")
    assert json.loads(out["data"]["net-conf.json"])["IPv6Network"] == "fd00:10:244::/56"


def test_flannel_keeps_other_keys_order_and_compact_form():
    # Derived from the fixture: the current upstream manifest also carries "EnableNFTables"; one-line JSON as
    # some installers write it.
    cm = one("kube-flannel-v0.20.2.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = '{"Network": "10.244.0.0/16", "EnableNFTables": false, "Backend": {"Type": "host-gw"}}'
    out = cni.flannel_dualstack(cm, PODS)["data"]["net-conf.json"]
    assert out == ('{"Network": "10.244.0.0/16", "IPv6Network": "fd00:10:244::/56", "EnableIPv6": true, '
                   '"EnableNFTables": false, "Backend": {"Type": "host-gw"}}')


def test_flannel_existing_ipv6network_with_ipv6_disabled_is_switched_on_in_place():
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = (
        '{\n  "Network": "10.244.0.0/16",\n  "EnableIPv6": false,\n  "IPv6Network": "fd00:10:244::/56",\n'
        '  "Backend": {\n    "Type": "vxlan"\n  }\n}\n'
    )
    out = cni.flannel_dualstack(cm, PODS)["data"]["net-conf.json"]
    assert list(json.loads(out)) == ["Network", "EnableIPv6", "IPv6Network", "Backend"]
    assert json.loads(out)["EnableIPv6"] is True


def test_flannel_enable_ipv6_false_without_network_is_replaced_after_network():
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = '{"EnableIPv6": false, "Network": "10.244.0.0/16"}'
    out = json.loads(cni.flannel_dualstack(cm, PODS)["data"]["net-conf.json"])
    assert list(out) == ["Network", "IPv6Network", "EnableIPv6"] and out["EnableIPv6"] is True


def test_flannel_network_must_be_the_primary_pod_range():
    message = raises("is not the cluster's primary pod range", cni.flannel_dualstack,
                     one("kube-flannel.yml.txt", "ConfigMap"), ["10.42.0.0/16", "fd00:10:244::/56"])
    assert "10.244.0.0/16" in message and "10.42.0.0/16" in message and "--cluster-cidr[0]" in message


def test_flannel_other_ipv6network_is_refused():
    cm = cni.flannel_dualstack(one("kube-flannel.yml.txt", "ConfigMap"), ["10.244.0.0/16", "fd00:99::/56"])
    message = raises("IPv6Network is already fd00:99::/56", cni.flannel_dualstack, cm, PODS)
    assert "fd00:10:244::/56" in message and "cannot move its range" in message


@pytest.mark.parametrize(
    "conf, match",
    [
        ('{"EnableIPv4": false, "EnableIPv6": true, "IPv6Network": "fd00::/56"}', "IPv6-only"),
        ('{"Backend": {"Type": "vxlan"}}', "has no Network"),
        ('{"Network": "10.244.0.0/16", "Backend": {"Type": "udp"}}', "carries IPv4 only"),
        ('{"Network": "10.244.0.0/16", "Backend": {"Type": "ipip"}}', "switch the backend to vxlan"),
        ('{"Network": "10.244.0.0/16", "Backend": {"Type": "ipsec"}}', "only vxlan, host-gw and wireguard backends support"),
        ('{"Network": "10.244.0.0/16",', "is not valid JSON"),
        ('["10.244.0.0/16"]', "is not a JSON object"),
        ('{"Network": "10.244.0.0/33"}', "is not a CIDR"),
    ],
)
def test_flannel_net_conf_errors(conf, match):
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = conf
    raises(match, cni.flannel_dualstack, cm, PODS)


def test_flannel_wrong_objects():
    raises("is not a ConfigMap", cni.flannel_dualstack, one("kube-flannel.yml.txt", "DaemonSet"), PODS)
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    del cm["data"]["net-conf.json"]
    raises("has no data key net-conf.json", cni.flannel_dualstack, cm, PODS)
    raises("not a Kubernetes object", cni.flannel_dualstack, "kube-flannel-cfg", PODS)
    raises("takes one object", cni.flannel_dualstack, [one("kube-flannel.yml.txt", "ConfigMap")] * 2, PODS)


@pytest.mark.parametrize(
    "pods", ["10.244.0.0/16", ["fd00:10:244::/56", "10.244.0.0/16"], "fd00:10:244::/56", ""]
)
def test_flannel_needs_both_ranges_ipv4_first(pods):
    with pytest.raises(DualStackError):
        cni.flannel_dualstack(one("kube-flannel.yml.txt", "ConfigMap"), pods)


@settings(max_examples=60, deadline=None)
@given(
    v4=st.integers(min_value=8, max_value=24).flatmap(
        lambda p: st.builds(lambda a: ipaddress.ip_network((a << (32 - p), p)), st.integers(2 ** (p - 8) * 10, 2 ** (p - 8) * 11 - 1))
    ),
    v6=st.integers(min_value=40, max_value=64).flatmap(
        lambda p: st.builds(lambda a: ipaddress.ip_network((a << (128 - p), p)), st.integers(2 ** (p - 8) * 0xFD, 2 ** (p - 8) * 0xFE - 1))
    ),
    indent=st.sampled_from([None, 2, 4]),
)
def test_flannel_idempotent_property(v4, v6, indent):
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = json.dumps({"Network": str(v4), "Backend": {"Type": "vxlan"}}, indent=indent)
    once = cni.flannel_dualstack(cm, [str(v4), str(v6)])
    assert cni.flannel_dualstack(once, [str(v4), str(v6)]) == once
    conf = json.loads(once["data"]["net-conf.json"])
    assert conf == {"Network": str(v4), "IPv6Network": str(v6), "EnableIPv6": True, "Backend": {"Type": "vxlan"}}
    assert ("\n" in once["data"]["net-conf.json"]) == (indent is not None)
    assert cni.flannel_singlestack(once) == cm, "the way back gives the original text"


@pytest.mark.parametrize("backend", ["vxlan", "host-gw", "wireguard", "VXLAN"])
def test_flannel_dual_stack_backends(backend):
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = json.dumps({"Network": "10.244.0.0/16", "Backend": {"Type": backend}})
    assert json.loads(cni.flannel_dualstack(cm, PODS)["data"]["net-conf.json"])["EnableIPv6"] is True


def node(name, *cidrs, legacy=None):
    spec = {"podCIDRs": list(cidrs)} if cidrs else {}
    if legacy:
        spec["podCIDR"] = legacy
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": spec}


def test_nodes_without_pod_cidr():
    nodes = {"apiVersion": "v1", "kind": "List", "items": [
        node("cp1", "10.244.0.0/24", "fd00:10:244::/64"),
        node("w1", "10.244.1.0/24"),
        node("w2"),
        node("w3", legacy="10.244.3.0/24"),
        node("w4", "10.244.4.0/24", "fd00:99::/64"),
        node("w5", "10.244.5.0/24", "FD00:10:244:5::/64"),
    ]}
    assert cni.nodes_without_pod_cidr(nodes, PODS) == ["w1", "w2", "w3", "w4"]
    assert cni.nodes_without_pod_cidr([], PODS) == []
    raises("is not a Node", cni.nodes_without_pod_cidr, one("kube-flannel.yml.txt", "ConfigMap"), PODS)
    raises("is not a CIDR", cni.nodes_without_pod_cidr, node("x", "10.244.0.0/24", "nonsense"), PODS)


# ---------------------------------------------------------------------------------------------
# cni_ipam
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, objects, expected",
    [
        ("bridge", None, True),
        ("kindnet", None, True),
        ("flannel", None, True),
        ("Flannel", None, True),
        ("calico", None, False),
        ("cilium", None, False),
        ("cilium", {"kind": "ConfigMap", "metadata": {"name": "cilium-config"}, "data": {"ipam": "kubernetes"}}, True),
        ("cilium", {"kind": "ConfigMap", "metadata": {"name": "cilium-config"}, "data": {"ipam": "cluster-pool"}}, False),
        ("cilium", {"kind": "List", "items": [{"kind": "ConfigMap", "data": {"ipam": "multi-pool"}}]}, False),
    ],
)
def test_cni_ipam_matrix(kind, objects, expected):
    assert cni.cni_ipam(kind, objects) is expected


def test_cni_ipam_reads_calico_config():
    assert cni.cni_ipam("calico", docs("calico.yaml.txt")) is False
    cm = one("calico.yaml.txt", "ConfigMap")
    cm["data"]["cni_network_config"] = cm["data"]["cni_network_config"].replace(
        '"type": "calico-ipam"', '"type": "host-local", "subnet": "usePodCidr"')
    assert cni.cni_ipam("calico", [cm]) is True
    assert cni.cni_ipam("flannel", docs("kube-flannel.yml.txt")) is True


def test_cni_ipam_errors():
    message = raises("CNI 'weave' is not known", cni.cni_ipam, "weave")
    assert "bridge, calico, cilium, flannel, kindnet" in message
    message = raises("cilium IPAM 'eni' is not known", cni.cni_ipam, "cilium", {"kind": "ConfigMap", "data": {"ipam": "eni"}})
    assert "cluster-pool" in message and "kubernetes" in message
    raises("not a Kubernetes object", cni.cni_ipam, "calico", ["calico-config"])


# ---------------------------------------------------------------------------------------------
# Calico
# ---------------------------------------------------------------------------------------------


def test_calico_configmap_published():
    before = one("calico.yaml.txt", "ConfigMap", "calico-config")
    pristine = copy.deepcopy(before)
    after = cni.calico_dualstack(before, PODS)
    assert before == pristine
    text = after["data"]["cni_network_config"]
    assert '"mtu": __CNI_MTU__,' in text, "install-time placeholders must stay bare"
    assert '"nodename": "__KUBERNETES_NODE_NAME__"' in text
    assert not text.endswith("\n"), "the manifest uses |- (no trailing newline)"
    parsed = json.loads(text.replace("__CNI_MTU__", "0"))
    original = json.loads(before["data"]["cni_network_config"].replace("__CNI_MTU__", "0"))
    assert parsed["plugins"][0]["ipam"] == {"type": "calico-ipam", "assign_ipv4": "true", "assign_ipv6": "true"}
    parsed["plugins"][0]["ipam"] = original["plugins"][0]["ipam"]
    assert parsed == original
    assert {k: v for k, v in after["data"].items() if k != "cni_network_config"} == {
        k: v for k, v in before["data"].items() if k != "cni_network_config"}


def test_calico_configmap_idempotent_and_untouched_when_done():
    once = cni.calico_dualstack(one("calico.yaml.txt", "ConfigMap"), PODS)
    assert cni.calico_dualstack(once, PODS) == once


def test_calico_configmap_host_local():
    cm = one("calico.yaml.txt", "ConfigMap")
    cm["data"]["cni_network_config"] = cm["data"]["cni_network_config"].replace(
        '"type": "calico-ipam"', '"type": "host-local",\n              "subnet": "usePodCidr"')
    once = cni.calico_dualstack(cm, PODS)
    ipam = json.loads(once["data"]["cni_network_config"].replace("__CNI_MTU__", "0"))["plugins"][0]["ipam"]
    assert ipam == {"type": "host-local", "ranges": [[{"subnet": "usePodCidr"}], [{"subnet": "usePodCidrIPv6"}]]}
    assert cni.calico_dualstack(once, PODS) == once


def test_calico_configmap_errors():
    cm = one("calico.yaml.txt", "ConfigMap")
    fixed = copy.deepcopy(cm)
    fixed["data"]["cni_network_config"] = fixed["data"]["cni_network_config"].replace(
        '"type": "calico-ipam"', '"type": "host-local", "subnet": "10.244.1.0/24"')
    raises("host-local IPAM with fixed subnets", cni.calico_dualstack, fixed, PODS)
    other = copy.deepcopy(cm)
    other["data"]["cni_network_config"] = other["data"]["cni_network_config"].replace('"calico-ipam"', '"whereabouts"')
    raises("IPAM type 'whereabouts' is not calico-ipam or host-local", cni.calico_dualstack, other, PODS)
    notcalico = copy.deepcopy(cm)
    notcalico["data"]["cni_network_config"] = '{"name": "x", "plugins": [{"type": "bridge"}]}'
    raises("has no plugin of type calico", cni.calico_dualstack, notcalico, PODS)
    broken = copy.deepcopy(cm)
    broken["data"]["cni_network_config"] = "{"
    raises("is not valid JSON", cni.calico_dualstack, broken, PODS)


def test_calico_node_daemonset_published():
    before = one("calico.yaml.txt", "DaemonSet", "calico-node")
    pristine = copy.deepcopy(before)
    after = cni.calico_dualstack(before, PODS)
    assert before == pristine
    env = env_map(after)
    assert env["IP6"] == "autodetect"
    assert env["FELIX_IPV6SUPPORT"] == "true"
    assert env["CALICO_IPV6POOL_CIDR"] == "fd00:10:244::/56"
    assert env["CALICO_IPV6POOL_BLOCK_SIZE"] == "122"
    assert env["CALICO_IPV6POOL_VXLAN"] == "Always"
    assert env["CALICO_IPV6POOL_NAT_OUTGOING"] == "true"
    assert "IP6_AUTODETECTION_METHOD" not in env
    # Variables the manifest already has are changed where they stand.
    names_before = [e["name"] for e in env_of(before)]
    names_after = [e["name"] for e in env_of(after)]
    assert names_after[: len(names_before)] == names_before
    # Nothing else in the DaemonSet changes (init containers, volumes, other env).
    stripped = copy.deepcopy(after)
    stripped["spec"]["template"]["spec"]["containers"][0]["env"] = env_of(before)
    assert stripped == before
    assert cni.calico_dualstack(after, PODS) == after


def test_calico_node_options():
    ds = one("calico.yaml.txt", "DaemonSet")
    env = env_map(cni.calico_dualstack(ds, PODS, block_size=120, vxlan_mode="CrossSubnet", nat_outgoing=False,
                                       ip6_autodetection_method="interface=eth0"))
    assert (env["CALICO_IPV6POOL_BLOCK_SIZE"], env["CALICO_IPV6POOL_VXLAN"], env["CALICO_IPV6POOL_NAT_OUTGOING"],
            env["IP6_AUTODETECTION_METHOD"]) == ("120", "CrossSubnet", "false", "interface=eth0")


def test_calico_node_keeps_explicit_ip6_and_inner_pool():
    ds = one("calico.yaml.txt", "DaemonSet")
    env_of(ds).append({"name": "IP6", "value": "fd00:1::10"})
    env_of(ds).append({"name": "CALICO_IPV6POOL_CIDR", "value": "fd00:10:244:80::/57"})
    env = env_map(cni.calico_dualstack(ds, PODS))
    assert env["IP6"] == "fd00:1::10" and env["CALICO_IPV6POOL_CIDR"] == "fd00:10:244:80::/57"


def test_calico_node_refuses_a_pool_outside_the_range():
    ds = one("calico.yaml.txt", "DaemonSet")
    env_of(ds).append({"name": "CALICO_IPV6POOL_CIDR", "value": "fd99::/48"})
    message = raises("CALICO_IPV6POOL_CIDR is fd99::/48, outside the cluster's IPv6 pod range", cni.calico_dualstack, ds, PODS)
    assert "fd00:10:244::/56" in message


def test_calico_list_forms():
    objects = [one("calico.yaml.txt", "ConfigMap"), one("calico.yaml.txt", "DaemonSet")]
    as_list = cni.calico_dualstack(objects, PODS)
    assert isinstance(as_list, list) and len(as_list) == 2
    wrapped = cni.calico_dualstack({"apiVersion": "v1", "kind": "List", "items": objects}, PODS)
    assert wrapped == as_list
    raises("is not a Calico object it changes", cni.calico_dualstack, one("calico.yaml.txt", "CustomResourceDefinition"), PODS)
    raises("no object given", cni.calico_dualstack, None, PODS)


def v4_pool():
    return {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "default-ipv4-ippool"},
            "spec": {"cidr": "10.244.0.0/16", "blockSize": 26, "ipipMode": "Always", "natOutgoing": True,
                     "nodeSelector": "all()", "vxlanMode": "Never"}}


def test_calico_existing_pools():
    v4 = v4_pool()
    assert cni.calico_dualstack(v4, PODS) == v4
    v6 = cni.calico_ippool(PODS, vxlan_mode="Never", nat_outgoing=False)
    fixed = cni.calico_dualstack({"kind": "IPPoolList", "items": [v4, v6]}, PODS)
    assert fixed[0] == v4 and fixed[1]["spec"]["natOutgoing"] is True and fixed[1]["spec"]["vxlanMode"] == "Always"
    assert cni.calico_dualstack(fixed, PODS) == fixed
    bare = {"kind": "IPPool", "metadata": {"name": "p6"}, "spec": {"cidr": "fd00:10:244::/56"}}
    assert cni.calico_dualstack(bare, PODS)["spec"] == {"cidr": "fd00:10:244::/56", "blockSize": 122, "ipipMode": "Never",
                                                        "vxlanMode": "Always", "natOutgoing": True}


def test_calico_existing_pool_errors():
    pool = cni.calico_ippool(PODS, block_size=124)
    message = raises("cannot change the block size of an existing pool", cni.calico_dualstack, pool, PODS)
    assert "block_size=124" in message
    pool = cni.calico_ippool(PODS)
    pool["spec"]["ipipMode"] = "Always"
    raises("IPIP cannot carry IPv6", cni.calico_dualstack, pool, PODS)
    pool["spec"]["ipipMode"] = "Never"
    pool["spec"]["cidr"] = "fd99::/56"
    raises("Calico IPPool default-ipv6-ippool \\(fd99::/56, enabled\\) is outside the target IPv6 pod range", cni.calico_dualstack,
           pool, PODS)


@pytest.mark.parametrize("cidr, disabled, conflict", [
    ("fd00:10:244::/56", False, None),               # the conversion's own pool
    ("fd00:10:244:8000::/64", True, None),           # inside the range, disabled by the way back: used again
    ("fd00:10::/32", True, "overlaps"),              # a supernet, disabled included
    ("fd00:10:244::/48", False, "overlaps"),
    ("fd99::/56", True, None),                       # apart and disabled: hands out nothing
    ("fd99::/56", False, "is outside"),
    ("10.244.0.0/16", False, None),                  # IPv4 pools are not the conversion's business
])
def test_calico_pool_conflict(cidr, disabled, conflict):
    pool = {"kind": "IPPool", "metadata": {"name": "p"}, "spec": {"cidr": cidr, "disabled": disabled}}
    got = cni.calico_pool_conflict(pool, cni.dual_pod_ranges(PODS)[1])
    if conflict is None:
        assert got is None
    else:
        what, fix = got
        assert conflict in what and cidr in what and ("disabled" if disabled else "enabled") in what and fix


def test_calico_dualstack_enables_the_pool_the_way_back_disabled():
    pool = cni.calico_ippool(PODS)
    off = cni.calico_singlestack(pool)
    assert off["spec"]["disabled"] is True
    again = cni.calico_dualstack(off, PODS)
    assert again["spec"]["disabled"] is False and cni.calico_dualstack(again, PODS) == again
    apart = {"kind": "IPPool", "metadata": {"name": "old"}, "spec": {"cidr": "fd99::/56", "disabled": True}}
    assert cni.calico_dualstack(apart, PODS) == apart


def test_calico_ippool_shapes_match_the_published_crd():
    crd = one("calico.yaml.txt", "CustomResourceDefinition", "ippools.crd.projectcalico.org")
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    kinds = {"integer": int, "string": str, "boolean": bool}
    for api in cni.CALICO_API_VERSIONS:
        pool = cni.calico_ippool(PODS, api_version=api)
        assert pool["apiVersion"] == api and pool["kind"] == crd["spec"]["names"]["kind"]
        for key, value in pool["spec"].items():
            assert key in schema, key
            assert isinstance(value, kinds[schema[key]["type"]]), key
        for required in crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"]:
            assert required in pool["spec"]
    assert cni.calico_ippool(PODS) == {
        "apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "default-ipv6-ippool"},
        "spec": {"cidr": "fd00:10:244::/56", "blockSize": 122, "ipipMode": "Never", "vxlanMode": "Always",
                 "natOutgoing": True, "nodeSelector": "all()"}}
    assert cni.calico_ippool(PODS, pool_cidr="fd00:10:244:ff::/64", block_size="128")["spec"]["cidr"] == "fd00:10:244:ff::/64"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"block_size": 115}, "Calico accepts IPv6 block sizes 116 to 128"),
        ({"block_size": 129}, "IPv6 block size must be between 116 and 128"),
        ({"block_size": "big"}, "blockSize 'big' is not an integer"),
        ({"block_size": True}, "is not an integer"),
        ({"pool_cidr": "fd00:10:244:ff::/120", "block_size": 116}, "blockSize 116 is larger than IPv6 pool"),
        ({"ipip_mode": "Always"}, "IPIP cannot carry IPv6"),
        ({"ipip_mode": "CrossSubnet"}, "kubespray asserts calico_ipip_mode_ipv6 is Never"),
        ({"vxlan_mode": "Sometimes"}, "is not a Calico encapsulation mode"),
        ({"pool_cidr": "fd99::/64"}, "is not inside the cluster's IPv6 pod range"),
        ({"pool_cidr": "10.244.0.0/24"}, "is not inside the cluster's IPv6 pod range"),
        ({"api_version": "projectcalico.org/v1"}, "is not an IPPool API"),
        ({"name": "Default_Pool"}, "is not a valid object name"),
        ({"nat_outgoing": "yes"}, "must be true or false"),
    ],
)
def test_calico_ippool_errors(kwargs, match):
    raises(match, cni.calico_ippool, PODS, **kwargs)


def test_calico_dualstack_option_errors():
    raises("Calico accepts IPv6 block sizes", cni.calico_dualstack, one("calico.yaml.txt", "DaemonSet"), PODS, block_size=64)
    raises("is not a Calico encapsulation mode", cni.calico_dualstack, one("calico.yaml.txt", "DaemonSet"), PODS, vxlan_mode="always")
    raises("must be true or false", cni.calico_dualstack, one("calico.yaml.txt", "DaemonSet"), PODS, nat_outgoing="true")
    raises("blockSize 122 is larger than IPv6 pool", cni.calico_dualstack, one("calico.yaml.txt", "DaemonSet"),
           ["10.244.0.0/16", "fd00:10:244::/124"])


@settings(max_examples=60, deadline=None)
@given(prefix=st.integers(min_value=48, max_value=120), block=st.integers(min_value=116, max_value=128),
       mode=st.sampled_from(cni.CALICO_ENCAP_MODES))
def test_calico_idempotent_property(prefix, block, mode):
    pods = ["10.244.0.0/16", "fd00:10:244::/%d" % prefix]
    objects = [one("calico.yaml.txt", "ConfigMap"), one("calico.yaml.txt", "DaemonSet")]
    if block < prefix:
        with pytest.raises(DualStackError, match="must fit in its pool"):
            cni.calico_dualstack(objects, pods, block_size=block, vxlan_mode=mode)
        return
    once = cni.calico_dualstack(objects, pods, block_size=block, vxlan_mode=mode)
    assert cni.calico_dualstack(once, pods, block_size=block, vxlan_mode=mode) == once
    pool = cni.calico_ippool(pods, block_size=block, vxlan_mode=mode)
    assert cni.calico_dualstack(pool, pods, block_size=block, vxlan_mode=mode) == pool


# ---------------------------------------------------------------------------------------------
# ip-masq-agent
# ---------------------------------------------------------------------------------------------


def test_ip_masq_configmap_published_example():
    before = masq_configmap()
    pristine = copy.deepcopy(before)
    after = cni.ip_masq_agent_dualstack(before, PODS)
    assert before == pristine
    config = yaml.safe_load(after["data"]["config"])
    # 10.244.0.0/16 is inside 10.0.0.0/8 already; only the IPv6 range is new.
    assert config == {"nonMasqueradeCIDRs": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00:10:244::/56"],
                      "masqLinkLocal": False, "resyncInterval": "60s"}
    assert list(config) == ["nonMasqueradeCIDRs", "masqLinkLocal", "resyncInterval"]
    assert after["metadata"] == before["metadata"]
    assert cni.ip_masq_agent_dualstack(after, PODS) == after


def test_ip_masq_configmap_pod_range_outside_rfc1918_is_added():
    after = cni.ip_masq_agent_dualstack(masq_configmap(), ["100.64.0.0/16", "fd00:10:244::/56"], nonmasq_cidrs="2001:db8:1::/64")
    assert yaml.safe_load(after["data"]["config"])["nonMasqueradeCIDRs"][3:] == ["100.64.0.0/16", "fd00:10:244::/56", "2001:db8:1::/64"]


@pytest.mark.parametrize("text", [None, "", "# nothing yet\n", "masqLinkLocal: true\n"])
def test_ip_masq_configmap_seeded_with_agent_defaults(text):
    cm = masq_configmap("")
    if text is None:
        del cm["data"]
    else:
        cm["data"]["config"] = text
    config = yaml.safe_load(cni.ip_masq_agent_dualstack(cm, ["100.64.0.0/16", "fd00:10:244::/56"])["data"]["config"])
    assert config["nonMasqueradeCIDRs"] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/16", "fd00:10:244::/56"]
    reserved = yaml.safe_load(cni.ip_masq_agent_dualstack(cm, PODS, nomasq_all_reserved_ranges=True)["data"]["config"])
    assert reserved["nonMasqueradeCIDRs"] == cni.IP_MASQ_RESERVED_NONMASQ + ["fd00:10:244::/56"]


def test_ip_masq_configmap_canonical_no_duplicates_and_json_kept():
    cm = masq_configmap('{"nonMasqueradeCIDRs": ["10.0.0.0/8", "FD00:10:244:0::/56", "10.0.0.0/8", "10.1.2.3/16"]}\n')
    after = cni.ip_masq_agent_dualstack(cm, PODS)["data"]["config"]
    assert after == '{"nonMasqueradeCIDRs": ["10.0.0.0/8", "fd00:10:244::/56", "10.1.0.0/16"]}\n'


def test_ip_masq_configmap_errors():
    raises("not a CIDR", cni.ip_masq_agent_dualstack, masq_configmap("nonMasqueradeCIDRs: [10.0.0.0/8, nonsense]"), PODS)
    raises("not a list of CIDRs", cni.ip_masq_agent_dualstack, masq_configmap("nonMasqueradeCIDRs: 10.0.0.0/8"), PODS)
    raises("is not a mapping", cni.ip_masq_agent_dualstack, masq_configmap("- 10.0.0.0/8"), PODS)
    raises("is not valid YAML", cni.ip_masq_agent_dualstack, masq_configmap("nonMasqueradeCIDRs: [10.0.0.0/8"), PODS)
    message = raises("over cidrLimit 3", cni.ip_masq_agent_dualstack, masq_configmap(masq_config_text() + "\ncidrLimit: 3"), PODS)
    assert "would hold 4 entries" in message and "raise cidrLimit" in message
    raises("is not the agent's ConfigMap or DaemonSet", cni.ip_masq_agent_dualstack, v4_pool(), PODS)
    raises("not IPv4 and IPv6|existing IPv4 --cluster-cidr first", cni.ip_masq_agent_dualstack, masq_configmap(), "fd00::/56")


def test_ip_masq_daemonset_published():
    before = one("ip-masq-agent.yaml.txt", "DaemonSet")
    pristine = copy.deepcopy(before)
    after = cni.ip_masq_agent_dualstack(before, PODS)
    assert before == pristine
    container = after["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["--enable-ipv6=true"]
    container.pop("args")
    assert after == before
    once = cni.ip_masq_agent_dualstack(before, PODS)
    assert cni.ip_masq_agent_dualstack(once, PODS) == once


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--masq-chain=IP-MASQ", "--enable-ipv6=false"], ["--masq-chain=IP-MASQ", "--enable-ipv6=true"]),
        (["--enable-ipv6", "--v=2"], ["--v=2", "--enable-ipv6=true"]),
        (["-enable-ipv6=true", "--enable-ipv6=true"], ["--enable-ipv6=true"]),
    ],
)
def test_ip_masq_daemonset_flag_variants(args, expected):
    ds = one("ip-masq-agent.yaml.txt", "DaemonSet")
    ds["spec"]["template"]["spec"]["containers"][0]["args"] = args
    assert cni.ip_masq_agent_dualstack(ds, PODS)["spec"]["template"]["spec"]["containers"][0]["args"] == expected


def test_ip_masq_daemonset_errors_and_lists():
    ds = one("ip-masq-agent.yaml.txt", "DaemonSet")
    ds["spec"]["template"]["spec"]["containers"][0]["command"] = ["/ip-masq-agent", "--enable-ipv6=false"]
    raises("move the flag to args", cni.ip_masq_agent_dualstack, ds, PODS)
    ds = one("ip-masq-agent.yaml.txt", "DaemonSet")
    ds["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "x"})
    ds["spec"]["template"]["spec"]["containers"][0]["name"] = "masq"
    raises("has no container named 'ip-masq-agent'", cni.ip_masq_agent_dualstack, ds, PODS)
    assert cni.ip_masq_agent_dualstack(ds, PODS, container="masq")["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "--enable-ipv6=true"]
    both = cni.ip_masq_agent_dualstack([masq_configmap(), one("ip-masq-agent.yaml.txt", "DaemonSet")], PODS)
    assert [o["kind"] for o in both] == ["ConfigMap", "DaemonSet"]
    raises("no object given", cni.ip_masq_agent_dualstack, None, PODS)


@settings(max_examples=60, deadline=None)
@given(existing=st.lists(st.sampled_from(["10.0.0.0/8", "192.168.0.0/16", "fd00::/8", "FD00:10:244::/56", "2001:db8::/32",
                                          "10.244.0.0/16", "100.64.0.0/10"]), max_size=6))
def test_ip_masq_idempotent_property(existing):
    cm = masq_configmap(yaml.safe_dump({"nonMasqueradeCIDRs": existing}))
    once = cni.ip_masq_agent_dualstack(cm, PODS)
    assert cni.ip_masq_agent_dualstack(once, PODS) == once
    entries = yaml.safe_load(once["data"]["config"])["nonMasqueradeCIDRs"]
    assert len(entries) == len(set(entries))
    networks = [ipaddress.ip_network(e) for e in entries]
    assert [str(n) for n in networks] == entries
    for pod in PODS:
        assert any(ipaddress.ip_network(pod).subnet_of(n) for n in networks if n.version == ipaddress.ip_network(pod).version)


# ---------------------------------------------------------------------------------------------
# ip6tables masquerade rules (bridge CNI without ip-masq-agent)
# ---------------------------------------------------------------------------------------------


def test_ipv6_masquerade_rules():
    assert cni.ipv6_masquerade_rules(PODS, SERVICES) == [
        {"chain": "POSTROUTING", "rule": ["-s", "fd00:10:244::/56", "-m", "comment", "--comment",
                                          "dualstack.kubernetes: masquerade IPv6 pod egress", "-j", "DUALSTACK-MASQ6"]},
        {"chain": "DUALSTACK-MASQ6", "rule": ["-d", "fd00:10:96::/112", "-j", "RETURN"]},
        {"chain": "DUALSTACK-MASQ6", "rule": ["-s", "fd00:10:244::/56", "!", "-d", "fd00:10:244::/56", "-j", "MASQUERADE"]},
    ]


def test_ipv6_masquerade_rules_options():
    rules = cni.ipv6_masquerade_rules("10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/16", chain="MY-MASQ6",
                                      nonmasq_cidrs=["2001:DB8:1::/64", "2001:db8:1::/64"])
    assert [r["rule"] for r in rules[1:]] == [
        ["-d", "2001:db8:1::/64", "-j", "RETURN"],
        ["-s", "fd00:10:244::/56", "!", "-d", "fd00:10:244::/56", "-j", "MASQUERADE"],
    ]
    assert rules[0]["rule"][-1] == "MY-MASQ6" and {r["chain"] for r in rules[1:]} == {"MY-MASQ6"}
    assert len(cni.ipv6_masquerade_rules(PODS)) == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"chain": "POSTROUTING"}, "is not a usable chain name"),
        ({"chain": "A" * 29}, "up to 28 letters"),
        ({"chain": "bad chain"}, "is not a usable chain name"),
        ({"nonmasq_cidrs": "192.168.0.0/16"}, "is not IPv6: these are ip6tables rules"),
        ({"service_cidrs": "fd00:10:96::/112,fd00:10:97::/112"}, "must be of different IP family"),
    ],
)
def test_ipv6_masquerade_rules_errors(kwargs, match):
    raises(match, cni.ipv6_masquerade_rules, PODS, **kwargs)


# ---------------------------------------------------------------------------------------------
# the way back (playbooks/rollback.yml): IPv6 off again
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FLANNEL_FIXTURES)
def test_flannel_singlestack_round_trip_and_idempotent(fixture):
    published = one(fixture, "ConfigMap", "kube-flannel-cfg")
    dual = cni.flannel_dualstack(published, PODS)
    pristine = copy.deepcopy(dual)
    back = cni.flannel_singlestack(dual)
    assert dual == pristine, "input must not be changed"
    assert back == published, "byte for byte the published net-conf.json again"
    assert cni.flannel_singlestack(back) == back == cni.flannel_singlestack(published)


def test_flannel_singlestack_drops_a_disabled_ipv6network_and_keeps_the_rest():
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = ('{"Network": "10.244.0.0/16", "EnableIPv6": false, "IPv6Network": "fd00:10:244::/56", '
                                   '"EnableNFTables": true, "Backend": {"Type": "host-gw"}}')
    out = cni.flannel_singlestack(cm)["data"]["net-conf.json"]
    assert out == '{"Network": "10.244.0.0/16", "EnableNFTables": true, "Backend": {"Type": "host-gw"}}'


@pytest.mark.parametrize(
    "conf, match",
    [
        ('{"EnableIPv4": false, "EnableIPv6": true, "IPv6Network": "fd00::/56"}', "has no IPv4 Network"),
        ('{"EnableIPv6": true, "IPv6Network": "fd00::/56"}', "flannel would be left without any pod range"),
        ("[1]", "is not a JSON object"),
        ("{", "is not valid JSON"),
    ],
)
def test_flannel_singlestack_errors(conf, match):
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = conf
    raises(match, cni.flannel_singlestack, cm)
    raises("is not a ConfigMap", cni.flannel_singlestack, one("kube-flannel.yml.txt", "DaemonSet"))
    del cm["data"]["net-conf.json"]
    raises("has no data key net-conf.json", cni.flannel_singlestack, cm)


def calico_ipam(configmap):
    return json.loads(configmap["data"]["cni_network_config"].replace("__CNI_MTU__", "0"))["plugins"][0]["ipam"]


def test_calico_singlestack_configmap_calico_ipam():
    published = one("calico.yaml.txt", "ConfigMap", "calico-config")
    assert cni.calico_singlestack(published) == published, "IPv6 is off in the published manifest: nothing to do"
    back = cni.calico_singlestack(cni.calico_dualstack(published, PODS))
    assert calico_ipam(back) == {"type": "calico-ipam", "assign_ipv4": "true", "assign_ipv6": "false"}
    assert '"mtu": __CNI_MTU__,' in back["data"]["cni_network_config"], "install-time placeholders stay bare"
    assert cni.calico_singlestack(back) == back


def test_calico_singlestack_configmap_host_local():
    cm = one("calico.yaml.txt", "ConfigMap")
    cm["data"]["cni_network_config"] = cm["data"]["cni_network_config"].replace(
        '"type": "calico-ipam"', '"type": "host-local",\n              "subnet": "usePodCidr"')
    assert cni.calico_singlestack(cm) == cm
    back = cni.calico_singlestack(cni.calico_dualstack(cm, PODS))
    assert calico_ipam(back) == {"type": "host-local", "ranges": [[{"subnet": "usePodCidr"}]]}
    assert cni.calico_singlestack(back) == back
    odd = copy.deepcopy(cm)
    odd["data"]["cni_network_config"] = odd["data"]["cni_network_config"].replace(
        '"subnet": "usePodCidr"', '"ranges": [[{"subnet": "usePodCidr"}], [{"subnet": "fd00:1::/64"}]]')
    raises("only the usePodCidr \\+ usePodCidrIPv6 pair", cni.calico_singlestack, odd)


def test_calico_singlestack_node_daemonset():
    published = one("calico.yaml.txt", "DaemonSet", "calico-node")
    assert cni.calico_singlestack(published) == published
    dual = cni.calico_dualstack(published, PODS)
    back = cni.calico_singlestack(dual)
    env = env_map(back)
    assert env["FELIX_IPV6SUPPORT"] == "false" and env["IP6"] == "none"
    # Every variable keeps its place; only IP6 and FELIX_IPV6SUPPORT change value.
    assert [e["name"] for e in env_of(back)] == [e["name"] for e in env_of(dual)]
    assert {k: v for k, v in env.items() if k not in ("IP6", "FELIX_IPV6SUPPORT")} == {
        k: v for k, v in env_map(dual).items() if k not in ("IP6", "FELIX_IPV6SUPPORT")}
    assert cni.calico_singlestack(back) == back
    # Felix turns IPv6 on when FELIX_IPV6SUPPORT is unset: the way back writes false explicitly.
    unset = copy.deepcopy(published)
    env_of(unset)[:] = [e for e in env_of(unset) if e["name"] != "FELIX_IPV6SUPPORT"]
    assert env_map(cni.calico_singlestack(unset))["FELIX_IPV6SUPPORT"] == "false"


def test_calico_singlestack_pools():
    v4 = v4_pool()
    v6 = cni.calico_ippool(PODS)
    back = cni.calico_singlestack({"kind": "IPPoolList", "items": [v4, v6]})
    assert back[0] == v4
    assert back[1]["spec"] == dict(v6["spec"], disabled=True), "disabled, not deleted: pods still hold its addresses"
    assert cni.calico_singlestack(back) == back
    raises("is not a Calico object it changes", cni.calico_singlestack, one("calico.yaml.txt", "CustomResourceDefinition"))
    raises("no object given", cni.calico_singlestack, None)
    assert cni.calico_singlestack([]) == []


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--enable-ipv6=true"], None),
        (["--masq-chain=IP-MASQ", "--enable-ipv6=true", "--v=2"], ["--masq-chain=IP-MASQ", "--v=2"]),
        (["-enable-ipv6", "--enable-ipv6=false"], None),
        (["--v=2"], ["--v=2"]),
    ],
)
def test_ip_masq_agent_singlestack_daemonset(args, expected):
    ds = one("ip-masq-agent.yaml.txt", "DaemonSet")
    ds["spec"]["template"]["spec"]["containers"][0]["args"] = args
    container = cni.ip_masq_agent_singlestack(ds)["spec"]["template"]["spec"]["containers"][0]
    assert container.get("args") == expected


def test_ip_masq_agent_singlestack_round_trip_configmap_kept_and_errors():
    published = one("ip-masq-agent.yaml.txt", "DaemonSet")
    assert cni.ip_masq_agent_singlestack(cni.ip_masq_agent_dualstack(published, PODS)) == published
    dual_cm = cni.ip_masq_agent_dualstack(masq_configmap(), PODS)
    assert cni.ip_masq_agent_singlestack([dual_cm]) == [dual_cm], "IPv6 entries are inert once the agent's IPv6 is off"
    raises("is not the agent's ConfigMap or DaemonSet", cni.ip_masq_agent_singlestack, {"kind": "Service"})
    ds = copy.deepcopy(published)
    ds["spec"]["template"]["spec"]["containers"][0]["command"] = ["/ip-masq-agent", "--enable-ipv6=true"]
    raises("ip_masq_agent_singlestack: .* sets --enable-ipv6 in the container command", cni.ip_masq_agent_singlestack, ds)


def test_enabled_ipv6_pools():
    def pool(name, cidr, **spec):
        return {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": name},
                "spec": dict(spec, cidr=cidr)}

    pools = [pool("v4", "10.244.0.0/16"), pool("v6", "fd00:10:244::/56"), pool("off", "fd00:10:244::/64", disabled=True),
             pool("on", "fd00:10:244:1::/64", disabled=False)]
    assert cni.enabled_ipv6_pools(pools) == ["v6", "on"]
    assert cni.enabled_ipv6_pools({"kind": "IPPoolList", "items": pools[:1]}) == []
    with pytest.raises(DualStackError, match="is not a Kubernetes object"):
        cni.enabled_ipv6_pools([{"spec": {}}])
