"""Each node's --node-ip: anchored on its current InternalIP, the new family chosen safely (module_utils/node_addresses.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import node_addresses as na
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

FOREVER = 4294967295


def iface(name, *addrs):
    """An `ip -j addr show` interface; each address 'ADDR [flag ...] [lft=N]'."""
    infos = []
    for addr in addrs:
        local, rest = (addr.split(" ", 1) + [""])[:2]
        info = {"family": "inet6" if ":" in local else "inet", "local": local, "prefixlen": 64,
                "scope": "link" if local.startswith("fe80") else ("host" if local in ("::1", "127.0.0.1") else "global"),
                "valid_life_time": FOREVER, "preferred_life_time": FOREVER}
        for word in rest.split():
            if word.startswith("lft="):
                info["valid_life_time"] = info["preferred_life_time"] = int(word[4:])
            else:
                info[word] = True
        infos.append(info)
    return {"ifname": name, "addr_info": infos}


def node(name, *ips):
    return {"metadata": {"name": name}, "status": {"addresses": [{"type": "InternalIP", "address": ip} for ip in ips]
                                                   + [{"type": "Hostname", "address": name}]}}


LAB_NODE = [
    iface("lo", "127.0.0.1", "::1"),
    iface("eth0", "192.168.77.21", "fd00:77::99 deprecated", "fd00:77::21", "fe80::1"),
    iface("cni0", "10.244.1.1", "fd00:10:244:1::1"),
]
V4V6 = ["IPv4", "IPv6"]


def test_current_addresses_come_from_the_node_then_the_kubelet_flag():
    nodes = [node("w1", "192.168.77.21"), node("w2")]
    assert na.current_addresses("w1", nodes, "10.0.0.1") == ["192.168.77.21"]
    assert na.current_addresses("w2", nodes, "192.168.77.22,fd00:77::22") == ["192.168.77.22", "fd00:77::22"]
    assert na.current_addresses("w3", nodes, None) == []


def test_detect_keeps_the_current_address_and_picks_the_new_family_next_to_it():
    assert na.detect_node_ips("w1", LAB_NODE, ["192.168.77.21"], V4V6) == ["192.168.77.21", "fd00:77::21"]


def test_a_node_without_node_ip_keeps_its_internal_ip_on_a_second_interface():
    """Storage NIC first, the node's address on the second interface with a temporary IPv6 beside the static one."""
    host = [iface("lo", "127.0.0.1", "::1"), iface("ens3", "10.9.0.5", "fd09::5"),
            iface("ens4", "192.168.77.24", "fd00:77::1:2:3:4 temporary dynamic lft=3600", "fd00:77::24 mngtmpaddr",
                  "fe80::24")]
    current = na.current_addresses("w3", [node("w3", "192.168.77.24")], None)
    assert na.detect_node_ips("w3", host, current, V4V6) == ["192.168.77.24", "fd00:77::24"]


def test_the_default_route_interface_when_the_current_one_has_no_address_of_the_new_family():
    host = [iface("bond0", "192.168.77.21"), iface("vlan6", "2001:db8:6::21"), iface("eth9", "2001:db8:9::21")]
    routes = ["[]", '[{"dst":"default","gateway":"2001:db8:6::1","dev":"vlan6","protocol":"static","flags":[]}]']
    assert na.detect_node_ips("w1", host, ["192.168.77.21"], V4V6, routes) == ["192.168.77.21", "2001:db8:6::21"]


def test_an_ipv6_primary_node_gets_its_ipv4_the_same_way():
    host = [iface("eth0", "fd00:77::21", "192.168.77.21")]
    assert na.detect_node_ips("w1", host, ["fd00:77::21"], ["IPv6", "IPv4"]) == ["fd00:77::21", "192.168.77.21"]


def test_a_rerun_keeps_the_address_chosen_before_even_when_there_are_now_two():
    host = [iface("eth0", "192.168.77.21", "fd00:77::21", "fd00:77::22")]
    assert na.detect_node_ips("w1", host, ["192.168.77.21", "fd00:77::21"], V4V6) == ["192.168.77.21", "fd00:77::21"]


def test_pod_and_service_ranges_are_never_candidates():
    host = [iface("eth0", "192.168.77.21", "fd00:10:244::5", "fd00:77::21")]
    assert na.detect_node_ips("w1", host, ["192.168.77.21"], V4V6, excluded=["fd00:10:244::/56"]) == ["192.168.77.21", "fd00:77::21"]


@pytest.mark.parametrize("v6, reason", [
    ("fe80::1", None),
    ("fd00:77::21 deprecated", "deprecated"),
    ("fd00:77::21 tentative", "tentative"),
    ("fd00:77::21 dadfailed", "duplicate address detection failed"),
    ("fd00:77::21 temporary dynamic lft=600", "temporary (RFC 4941 privacy address)"),
    ("fd00:77::21 dynamic lft=86400", "finite lifetime (valid_lft 86400s)"),
])
def test_never_an_unusable_ipv6(v6, reason):
    host = [iface("lo", "127.0.0.1", "::1"), iface("eth0", "192.168.77.21", v6)]
    with pytest.raises(DualStackError, match="has no usable global IPv6 address on eth0") as err:
        na.detect_node_ips("w1", host, ["192.168.77.21"], V4V6)
    if reason:
        assert "fd00:77::21 on eth0: %s" % reason in str(err.value)
    assert "dualstack_node_ips for w1" in str(err.value)


def test_ambiguity_is_refused_with_the_candidates_and_the_variable():
    host = [iface("eth0", "192.168.77.21", "fd00:77::21", "2001:db8::21")]
    with pytest.raises(DualStackError, match=r"2 usable global IPv6 addresses on eth0 \(2001:db8::21, fd00:77::21\)") as err:
        na.detect_node_ips("w1", host, ["192.168.77.21"], V4V6)
    assert "Set dualstack_node_ips for w1, e.g. '192.168.77.21,2001:db8::21'" in str(err.value)


def test_no_current_address_is_refused_not_guessed():
    with pytest.raises(DualStackError, match="no Node named w1 in the API and no --node-ip"):
        na.detect_node_ips("w1", LAB_NODE, [], V4V6)


def test_a_current_address_missing_from_the_host_is_refused():
    with pytest.raises(DualStackError, match="its IPv4 InternalIP 192.168.77.99 is on none of the host's interfaces"):
        na.detect_node_ips("w1", LAB_NODE, ["192.168.77.99"], V4V6)
    with pytest.raises(DualStackError, match="its IPv6 InternalIP fd00:77::5 is on none"):
        na.detect_node_ips("w1", LAB_NODE, ["192.168.77.21", "fd00:77::5"], V4V6)


def test_a_node_reporting_only_the_other_family_is_refused():
    with pytest.raises(DualStackError, match="reports no IPv4 address"):
        na.detect_node_ips("w1", LAB_NODE, ["fd00:77::21"], V4V6)


def test_detect_rejects_non_json():
    with pytest.raises(DualStackError, match="ip -j addr show"):
        na.detect_node_ips("w1", "eth0: ...", ["192.168.77.21"], ["IPv4"])


def test_given_addresses_keep_the_primary():
    na.check_keeps_primary("w1", ["192.168.77.21", "fd00:77::5"], ["192.168.77.21", "fd00:77::21"], V4V6)
    na.check_keeps_primary("w1", ["192.168.77.21", "fd00:77::5"], [], V4V6)
    with pytest.raises(DualStackError, match="puts 192.168.77.30 first but the node's IPv4 address today .* is 192.168.77.21"):
        na.check_keeps_primary("w1", ["192.168.77.30", "fd00:77::21"], ["192.168.77.21"], V4V6)


def test_given_addresses_must_be_present():
    na.check_present("w1", ["192.168.77.21", "fd00:77:0::21"], LAB_NODE)
    with pytest.raises(DualStackError, match="lists fd00:77::22 but the host has no such address"):
        na.check_present("w1", ["192.168.77.21", "fd00:77::22"], LAB_NODE)


def test_routes_by_family():
    assert na.routes_by_family(['[{"dst":"default","dev":"eth0"}]', ""]) == {"IPv4": [{"dst": "default", "dev": "eth0"}], "IPv6": []}
    assert na.routes_by_family(None) == {}


def test_default_route_interface():
    assert na.default_route_interface([{"dst": "default", "dev": "eth1"}, {"dst": "default", "dev": "eth2"}]) == "eth1"
    assert na.default_route_interface([]) is None and na.default_route_interface(None) is None
