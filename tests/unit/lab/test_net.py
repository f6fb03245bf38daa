"""Unit tests of dslab.net (topology; no namespaces are created)."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from dslab import net  # noqa: E402


def test_three_nodes_one_control_plane() -> None:
    assert [n.name for n in net.NODES] == ["dslab-cp1", "dslab-w1", "dslab-w2"]
    assert net.control_plane().name == "dslab-cp1"
    assert [n.name for n in net.workers()] == ["dslab-w1", "dslab-w2"]


def test_addresses_match_the_plan() -> None:
    assert [(n.ipv4, n.ipv6) for n in net.NODES] == [
        ("192.168.77.11", "fd00:77::11"),
        ("192.168.77.21", "fd00:77::21"),
        ("192.168.77.22", "fd00:77::22"),
    ]


@pytest.mark.parametrize("n", net.NODES, ids=lambda n: n.name)
def test_node_addresses_inside_the_bridge_subnets(n: net.Node) -> None:
    v4 = ipaddress.ip_network(f"{net.HOST_V4}/{net.PREFIX_V4}", strict=False)
    v6 = ipaddress.ip_network(f"{net.HOST_V6}/{net.PREFIX_V6}", strict=False)
    assert ipaddress.ip_address(n.ipv4) in v4
    assert ipaddress.ip_address(n.ipv6) in v6
    assert n.ipv4 != net.HOST_V4 and n.ipv6 != net.HOST_V6
    assert v6.is_private  # ULA, never routed anywhere


def test_link_names_fit_the_kernel_limit_and_are_unique() -> None:
    names = [n.veth_host for n in net.NODES] + [net.BRIDGE]
    assert all(len(name) <= 15 for name in names)
    assert len(set(names)) == len(names)


def test_node_lookup_accepts_short_names() -> None:
    assert net.node("w1").name == "dslab-w1"
    assert net.node("dslab-cp1").ipv4 == "192.168.77.11"
    with pytest.raises(KeyError):
        net.node("w9")
    # The late node (joined after the conversion) is known by name but not brought up by `up`.
    assert net.node("w3").ipv4 == "192.168.77.23"
    assert net.node("w3") not in net.NODES
    assert net.late_node("w3").name == "dslab-w3"
    with pytest.raises(KeyError, match="late nodes: dslab-w3"):
        net.late_node("w1")


def test_netns_named_after_node() -> None:
    assert {n.netns for n in net.NODES} == {n.name for n in net.NODES}
