# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Calico from its manifest (module_utils/calico.py), against the published calico.yaml in fixtures/cni/."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dualstack.kubernetes.plugins.module_utils import calico, cni_objects
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

from .cni_manifests import PODS, one, raises, v4_pool


def env_of(daemonset, container="calico-node"):
    for item in daemonset["spec"]["template"]["spec"]["containers"]:
        if item["name"] == container:
            return item["env"]
    raise AssertionError(container)


def env_map(daemonset):
    return {e["name"]: e.get("value") for e in env_of(daemonset)}


# ---------------------------------------------------------------------------------------------
# IPv6 on
# ---------------------------------------------------------------------------------------------


def test_calico_configmap_published():
    before = one("calico.yaml.txt", "ConfigMap", "calico-config")
    pristine = copy.deepcopy(before)
    after = calico.calico_dualstack(before, PODS)
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
    once = calico.calico_dualstack(one("calico.yaml.txt", "ConfigMap"), PODS)
    assert calico.calico_dualstack(once, PODS) == once


def test_calico_configmap_host_local():
    cm = one("calico.yaml.txt", "ConfigMap")
    cm["data"]["cni_network_config"] = cm["data"]["cni_network_config"].replace(
        '"type": "calico-ipam"', '"type": "host-local",\n              "subnet": "usePodCidr"')
    once = calico.calico_dualstack(cm, PODS)
    ipam = json.loads(once["data"]["cni_network_config"].replace("__CNI_MTU__", "0"))["plugins"][0]["ipam"]
    assert ipam == {"type": "host-local", "ranges": [[{"subnet": "usePodCidr"}], [{"subnet": "usePodCidrIPv6"}]]}
    assert calico.calico_dualstack(once, PODS) == once


def test_calico_configmap_errors():
    cm = one("calico.yaml.txt", "ConfigMap")
    fixed = copy.deepcopy(cm)
    fixed["data"]["cni_network_config"] = fixed["data"]["cni_network_config"].replace(
        '"type": "calico-ipam"', '"type": "host-local", "subnet": "10.244.1.0/24"')
    raises("host-local IPAM with fixed subnets", calico.calico_dualstack, fixed, PODS)
    other = copy.deepcopy(cm)
    other["data"]["cni_network_config"] = other["data"]["cni_network_config"].replace('"calico-ipam"', '"whereabouts"')
    raises("IPAM type 'whereabouts' is not calico-ipam or host-local", calico.calico_dualstack, other, PODS)
    notcalico = copy.deepcopy(cm)
    notcalico["data"]["cni_network_config"] = '{"name": "x", "plugins": [{"type": "bridge"}]}'
    raises("has no plugin of type calico", calico.calico_dualstack, notcalico, PODS)
    broken = copy.deepcopy(cm)
    broken["data"]["cni_network_config"] = "{"
    raises("is not valid JSON", calico.calico_dualstack, broken, PODS)


def test_calico_node_daemonset_published():
    before = one("calico.yaml.txt", "DaemonSet", "calico-node")
    pristine = copy.deepcopy(before)
    after = calico.calico_dualstack(before, PODS)
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
    assert calico.calico_dualstack(after, PODS) == after


def test_calico_node_options():
    ds = one("calico.yaml.txt", "DaemonSet")
    env = env_map(calico.calico_dualstack(ds, PODS, block_size=120, vxlan_mode="CrossSubnet", nat_outgoing=False,
                                          ip6_autodetection_method="interface=eth0"))
    assert (env["CALICO_IPV6POOL_BLOCK_SIZE"], env["CALICO_IPV6POOL_VXLAN"], env["CALICO_IPV6POOL_NAT_OUTGOING"],
            env["IP6_AUTODETECTION_METHOD"]) == ("120", "CrossSubnet", "false", "interface=eth0")


def test_calico_node_keeps_explicit_ip6_and_inner_pool():
    ds = one("calico.yaml.txt", "DaemonSet")
    env_of(ds).append({"name": "IP6", "value": "fd00:1::10"})
    env_of(ds).append({"name": "CALICO_IPV6POOL_CIDR", "value": "fd00:10:244:80::/57"})
    env = env_map(calico.calico_dualstack(ds, PODS))
    assert env["IP6"] == "fd00:1::10" and env["CALICO_IPV6POOL_CIDR"] == "fd00:10:244:80::/57"


def test_calico_node_refuses_a_pool_outside_the_range():
    ds = one("calico.yaml.txt", "DaemonSet")
    env_of(ds).append({"name": "CALICO_IPV6POOL_CIDR", "value": "fd99::/48"})
    message = raises("CALICO_IPV6POOL_CIDR is fd99::/48, outside the cluster's IPv6 pod range", calico.calico_dualstack, ds, PODS)
    assert "fd00:10:244::/56" in message


def test_calico_list_forms():
    objects = [one("calico.yaml.txt", "ConfigMap"), one("calico.yaml.txt", "DaemonSet")]
    as_list = calico.calico_dualstack(objects, PODS)
    assert isinstance(as_list, list) and len(as_list) == 2
    wrapped = calico.calico_dualstack({"apiVersion": "v1", "kind": "List", "items": objects}, PODS)
    assert wrapped == as_list
    raises("is not a Calico object it changes", calico.calico_dualstack, one("calico.yaml.txt", "CustomResourceDefinition"), PODS)
    raises("no object given", calico.calico_dualstack, None, PODS)


def test_calico_existing_pools():
    v4 = v4_pool()
    assert calico.calico_dualstack(v4, PODS) == v4
    v6 = calico.calico_ippool(PODS, vxlan_mode="Never", nat_outgoing=False)
    fixed = calico.calico_dualstack({"kind": "IPPoolList", "items": [v4, v6]}, PODS)
    assert fixed[0] == v4 and fixed[1]["spec"]["natOutgoing"] is True and fixed[1]["spec"]["vxlanMode"] == "Always"
    assert calico.calico_dualstack(fixed, PODS) == fixed
    bare = {"kind": "IPPool", "metadata": {"name": "p6"}, "spec": {"cidr": "fd00:10:244::/56"}}
    assert calico.calico_dualstack(bare, PODS)["spec"] == {"cidr": "fd00:10:244::/56", "blockSize": 122, "ipipMode": "Never",
                                                           "vxlanMode": "Always", "natOutgoing": True}


def test_calico_existing_pool_errors():
    pool = calico.calico_ippool(PODS, block_size=124)
    message = raises("cannot change the block size of an existing pool", calico.calico_dualstack, pool, PODS)
    assert "block_size=124" in message
    pool = calico.calico_ippool(PODS)
    pool["spec"]["ipipMode"] = "Always"
    raises("IPIP cannot carry IPv6", calico.calico_dualstack, pool, PODS)
    pool["spec"]["ipipMode"] = "Never"
    pool["spec"]["cidr"] = "fd99::/56"
    raises("Calico IPPool default-ipv6-ippool \\(fd99::/56, enabled\\) is outside the target IPv6 pod range", calico.calico_dualstack,
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
    got = calico.calico_pool_conflict(pool, cni_objects.dual_pod_ranges(PODS)[1])
    if conflict is None:
        assert got is None
    else:
        what, fix = got
        assert conflict in what and cidr in what and ("disabled" if disabled else "enabled") in what and fix


def test_calico_dualstack_enables_the_pool_the_way_back_disabled():
    pool = calico.calico_ippool(PODS)
    off = calico.calico_singlestack(pool)
    assert off["spec"]["disabled"] is True
    again = calico.calico_dualstack(off, PODS)
    assert again["spec"]["disabled"] is False and calico.calico_dualstack(again, PODS) == again
    apart = {"kind": "IPPool", "metadata": {"name": "old"}, "spec": {"cidr": "fd99::/56", "disabled": True}}
    assert calico.calico_dualstack(apart, PODS) == apart


def test_calico_ippool_shapes_match_the_published_crd():
    crd = one("calico.yaml.txt", "CustomResourceDefinition", "ippools.crd.projectcalico.org")
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    kinds = {"integer": int, "string": str, "boolean": bool}
    for api in calico.CALICO_API_VERSIONS:
        pool = calico.calico_ippool(PODS, api_version=api)
        assert pool["apiVersion"] == api and pool["kind"] == crd["spec"]["names"]["kind"]
        for key, value in pool["spec"].items():
            assert key in schema, key
            assert isinstance(value, kinds[schema[key]["type"]]), key
        for required in crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"]:
            assert required in pool["spec"]
    assert calico.calico_ippool(PODS) == {
        "apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "default-ipv6-ippool"},
        "spec": {"cidr": "fd00:10:244::/56", "blockSize": 122, "ipipMode": "Never", "vxlanMode": "Always",
                 "natOutgoing": True, "nodeSelector": "all()"}}
    assert calico.calico_ippool(PODS, pool_cidr="fd00:10:244:ff::/64", block_size="128")["spec"]["cidr"] == "fd00:10:244:ff::/64"


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
    raises(match, calico.calico_ippool, PODS, **kwargs)


def test_calico_dualstack_option_errors():
    raises("Calico accepts IPv6 block sizes", calico.calico_dualstack, one("calico.yaml.txt", "DaemonSet"), PODS, block_size=64)
    raises("is not a Calico encapsulation mode", calico.calico_dualstack, one("calico.yaml.txt", "DaemonSet"), PODS, vxlan_mode="always")
    raises("must be true or false", calico.calico_dualstack, one("calico.yaml.txt", "DaemonSet"), PODS, nat_outgoing="true")
    raises("blockSize 122 is larger than IPv6 pool", calico.calico_dualstack, one("calico.yaml.txt", "DaemonSet"),
           ["10.244.0.0/16", "fd00:10:244::/124"])


@settings(max_examples=60, deadline=None)
@given(prefix=st.integers(min_value=48, max_value=120), block=st.integers(min_value=116, max_value=128),
       mode=st.sampled_from(calico.CALICO_ENCAP_MODES))
def test_calico_idempotent_property(prefix, block, mode):
    pods = ["10.244.0.0/16", "fd00:10:244::/%d" % prefix]
    objects = [one("calico.yaml.txt", "ConfigMap"), one("calico.yaml.txt", "DaemonSet")]
    if block < prefix:
        with pytest.raises(DualStackError, match="must fit in its pool"):
            calico.calico_dualstack(objects, pods, block_size=block, vxlan_mode=mode)
        return
    once = calico.calico_dualstack(objects, pods, block_size=block, vxlan_mode=mode)
    assert calico.calico_dualstack(once, pods, block_size=block, vxlan_mode=mode) == once
    pool = calico.calico_ippool(pods, block_size=block, vxlan_mode=mode)
    assert calico.calico_dualstack(pool, pods, block_size=block, vxlan_mode=mode) == pool


# ---------------------------------------------------------------------------------------------
# the way back (playbooks/rollback.yml): IPv6 off again
# ---------------------------------------------------------------------------------------------


def calico_ipam(configmap):
    return json.loads(configmap["data"]["cni_network_config"].replace("__CNI_MTU__", "0"))["plugins"][0]["ipam"]


def test_calico_singlestack_configmap_calico_ipam():
    published = one("calico.yaml.txt", "ConfigMap", "calico-config")
    assert calico.calico_singlestack(published) == published, "IPv6 is off in the published manifest: nothing to do"
    back = calico.calico_singlestack(calico.calico_dualstack(published, PODS))
    assert calico_ipam(back) == {"type": "calico-ipam", "assign_ipv4": "true", "assign_ipv6": "false"}
    assert '"mtu": __CNI_MTU__,' in back["data"]["cni_network_config"], "install-time placeholders stay bare"
    assert calico.calico_singlestack(back) == back


def test_calico_singlestack_configmap_host_local():
    cm = one("calico.yaml.txt", "ConfigMap")
    cm["data"]["cni_network_config"] = cm["data"]["cni_network_config"].replace(
        '"type": "calico-ipam"', '"type": "host-local",\n              "subnet": "usePodCidr"')
    assert calico.calico_singlestack(cm) == cm
    back = calico.calico_singlestack(calico.calico_dualstack(cm, PODS))
    assert calico_ipam(back) == {"type": "host-local", "ranges": [[{"subnet": "usePodCidr"}]]}
    assert calico.calico_singlestack(back) == back
    odd = copy.deepcopy(cm)
    odd["data"]["cni_network_config"] = odd["data"]["cni_network_config"].replace(
        '"subnet": "usePodCidr"', '"ranges": [[{"subnet": "usePodCidr"}], [{"subnet": "fd00:1::/64"}]]')
    raises("only the usePodCidr \\+ usePodCidrIPv6 pair", calico.calico_singlestack, odd)


def test_calico_singlestack_node_daemonset():
    published = one("calico.yaml.txt", "DaemonSet", "calico-node")
    assert calico.calico_singlestack(published) == published
    dual = calico.calico_dualstack(published, PODS)
    back = calico.calico_singlestack(dual)
    env = env_map(back)
    assert env["FELIX_IPV6SUPPORT"] == "false" and env["IP6"] == "none"
    # Every variable keeps its place; only IP6 and FELIX_IPV6SUPPORT change value.
    assert [e["name"] for e in env_of(back)] == [e["name"] for e in env_of(dual)]
    assert {k: v for k, v in env.items() if k not in ("IP6", "FELIX_IPV6SUPPORT")} == {
        k: v for k, v in env_map(dual).items() if k not in ("IP6", "FELIX_IPV6SUPPORT")}
    assert calico.calico_singlestack(back) == back
    # Felix turns IPv6 on when FELIX_IPV6SUPPORT is unset: the way back writes false explicitly.
    unset = copy.deepcopy(published)
    env_of(unset)[:] = [e for e in env_of(unset) if e["name"] != "FELIX_IPV6SUPPORT"]
    assert env_map(calico.calico_singlestack(unset))["FELIX_IPV6SUPPORT"] == "false"


def test_calico_singlestack_pools():
    v4 = v4_pool()
    v6 = calico.calico_ippool(PODS)
    back = calico.calico_singlestack({"kind": "IPPoolList", "items": [v4, v6]})
    assert back[0] == v4
    assert back[1]["spec"] == dict(v6["spec"], disabled=True), "disabled, not deleted: pods still hold its addresses"
    assert calico.calico_singlestack(back) == back
    raises("is not a Calico object it changes", calico.calico_singlestack, one("calico.yaml.txt", "CustomResourceDefinition"))
    raises("no object given", calico.calico_singlestack, None)
    assert calico.calico_singlestack([]) == []


def test_enabled_ipv6_pools():
    def pool(name, cidr, **spec):
        return {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": name},
                "spec": dict(spec, cidr=cidr)}

    pools = [pool("v4", "10.244.0.0/16"), pool("v6", "fd00:10:244::/56"), pool("off", "fd00:10:244::/64", disabled=True),
             pool("on", "fd00:10:244:1::/64", disabled=False)]
    assert calico.enabled_ipv6_pools(pools) == ["v6", "on"]
    assert calico.enabled_ipv6_pools({"kind": "IPPoolList", "items": pools[:1]}) == []
    with pytest.raises(DualStackError, match="is not a Kubernetes object"):
        calico.enabled_ipv6_pools([{"spec": {}}])
