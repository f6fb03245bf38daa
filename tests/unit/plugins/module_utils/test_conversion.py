"""Checks of a target against the running cluster, and node address detection (module_utils/conversion.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import conversion
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


def iface(name, *addrs):
    infos = []
    for addr in addrs:
        local, dummy, rest = addr.partition(" ")
        info = {"family": "inet6" if ":" in local else "inet", "local": local, "prefixlen": 64,
                "scope": "link" if local.startswith("fe80") else ("host" if local in ("::1", "127.0.0.1") else "global"),
                "preferred_life_time": 4294967295}
        for word in rest.split():
            info[word] = True
        infos.append(info)
    return {"ifname": name, "addr_info": infos}


LAB_NODE = [
    iface("lo", "127.0.0.1", "::1"),
    iface("eth0", "192.168.77.21", "fd00:77::99 deprecated", "fd00:77::21", "fe80::1"),
    iface("cni0", "10.244.1.1", "fd00:10:244:1::1"),
]


def test_detect_on_the_interface_of_the_current_address():
    assert conversion.detect_node_ips("w1", LAB_NODE, "192.168.77.21", ["IPv4", "IPv6"]) == ["192.168.77.21", "fd00:77::21"]


def test_detect_without_anchor_skips_virtual_interfaces_and_pod_ranges():
    nodes = [iface("cni0", "10.244.1.1", "fd00:10:244:1::1"), iface("ens3", "192.0.2.5", "2001:db8::5")]
    assert conversion.detect_node_ips("w1", nodes, None, ["IPv4", "IPv6"], ["10.244.0.0/16"]) == ["192.0.2.5", "2001:db8::5"]


def test_detect_keeps_the_current_primary_address():
    nodes = [iface("eth0", "192.168.77.30", "192.168.77.21", "fd00:77::21")]
    assert conversion.detect_node_ips("w1", nodes, "192.168.77.21", ["IPv4", "IPv6"]) == ["192.168.77.21", "fd00:77::21"]


@pytest.mark.parametrize(
    "addrs",
    [
        ("192.168.77.21", "fe80::1"),
        ("192.168.77.21", "fd00:77::21 deprecated"),
        ("192.168.77.21", "fd00:77::21 tentative"),
        ("192.168.77.21", "fd00:77::21 dadfailed"),
        ("192.168.77.21",),
    ],
)
def test_detect_never_falls_back_to_unusable_ipv6(addrs):
    nodes = [iface("lo", "127.0.0.1", "::1"), iface("eth0", *addrs)]
    with pytest.raises(DualStackError, match="has no usable global IPv6 address on eth0"):
        conversion.detect_node_ips("w1", nodes, "192.168.77.21", ["IPv4", "IPv6"])


def test_detect_rejects_non_json():
    with pytest.raises(DualStackError, match="ip -j addr show"):
        conversion.detect_node_ips("w1", "eth0: ...", None, ["IPv4"])


def test_addresses_must_be_present():
    conversion.check_addresses_present("w1", ["192.168.77.21", "fd00:77:0::21"], LAB_NODE)
    with pytest.raises(DualStackError, match="lists fd00:77::22 but the host has no such address"):
        conversion.check_addresses_present("w1", ["192.168.77.21", "fd00:77::22"], LAB_NODE)


@pytest.mark.parametrize(
    "current, target",
    [
        ("10.96.0.0/16", "10.96.0.0/16,fd00:10:96::/112"),
        ("10.96.0.0/16", "10.96.0.0/16"),
        ("10.96.0.0/16,fd00:10:96::/112", "10.96.0.0/16,FD00:10:96::/112"),
    ],
)
def test_keeps_current(current, target):
    assert conversion.check_keeps_current(current, target, "Service ranges", "--service-cluster-ip-range")[0] == "10.96.0.0/16"


@pytest.mark.parametrize(
    "current, target, words",
    [
        ("10.96.0.0/16", "fd00:10:96::/112,10.96.0.0/16", "does not keep the current --service-cluster-ip-range[0]=10.96.0.0/16"),
        ("10.96.0.0/16", "10.97.0.0/16,fd00:10:96::/112", "MUST NOT change IP families"),
        ("10.96.0.0/16", "10.96.0.0/12,fd00:10:96::/112", "existing ranges must stay unchanged"),
        ("10.96.0.0/16,fd00:10:96::/112", "10.96.0.0/16", "--service-cluster-ip-range[1]=fd00:10:96::/112"),
        ("10.96.0.0/16,fd00:10:96::/112", "10.96.0.0/16,fd00:10:97::/112", "does not keep"),
        ("", "10.96.0.0/16,fd00:10:96::/112", "could not be read"),
    ],
)
def test_keeps_current_errors(current, target, words):
    with pytest.raises(DualStackError) as err:
        conversion.check_keeps_current(current, target, "Service ranges", "--service-cluster-ip-range")
    assert words in str(err.value)


def test_keeps_current_suggests_the_fix():
    with pytest.raises(DualStackError) as err:
        conversion.check_keeps_current("10.244.0.0/16", "fd00:10:244::/56,10.244.0.0/16", "pod ranges", "--cluster-cidr")
    assert "Use 10.244.0.0/16,fd00:10:244::/56" in str(err.value)
    assert "failed to mark cidr" in str(err.value)


def test_control_planes_agree():
    assert conversion.check_control_planes_agree({"cp1": "10.96.0.0/16", "cp2": "10.96.0.0/16"}, "x") == "10.96.0.0/16"
    with pytest.raises(DualStackError, match="control-plane nodes disagree on --service-cluster-ip-range"):
        conversion.check_control_planes_agree({"cp1": "10.96.0.0/16", "cp2": "10.96.0.0/12"}, "--service-cluster-ip-range")


def test_ipv6_must_be_enabled():
    conversion.check_ipv6_enabled("w1", "0\n")
    with pytest.raises(DualStackError, match="net.ipv6.conf.all.disable_ipv6=1"):
        conversion.check_ipv6_enabled("w1", "1\n")
