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
    assert [n.name for n in net.nodes()] == ["dslab-cp1", "dslab-w1", "dslab-w2"]
    assert net.control_plane().name == "dslab-cp1"
    assert [n.name for n in net.workers()] == ["dslab-w1", "dslab-w2"]
    assert not net.is_ha() and net.api_endpoint() == "192.168.77.11"


def test_ha_lab_has_three_control_planes_behind_the_load_balancer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_CONTROL_PLANES", "3")
    assert [n.name for n in net.nodes()] == ["dslab-cp1", "dslab-cp2", "dslab-cp3", "dslab-w1", "dslab-w2"]
    assert [n.ipv4 for n in net.control_planes()] == ["192.168.77.11", "192.168.77.12", "192.168.77.13"]
    assert net.is_ha() and net.api_endpoint() == net.LOAD_BALANCER.ipv4 == "192.168.77.10"
    assert net.control_plane().name == "dslab-cp1"


def test_a_running_lab_keeps_its_count(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "control-planes").write_text("3\n")
    assert len(net.control_planes()) == 3


@pytest.mark.parametrize("value", ["2", "0", "three", "-1"])
def test_other_control_plane_counts_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_CONTROL_PLANES", value)
    with pytest.raises(SystemExit, match="DUALSTACK_LAB_CONTROL_PLANES=.*1 control plane or 3"):
        net.nodes()


def test_addresses_match_the_plan() -> None:
    assert [(n.ipv4, n.ipv6) for n in net.nodes()] == [
        ("192.168.77.11", "fd00:77::11"),
        ("192.168.77.21", "fd00:77::21"),
        ("192.168.77.22", "fd00:77::22"),
    ]


@pytest.mark.parametrize("n", net.ALL_NETNS, ids=lambda n: n.name)
def test_node_addresses_inside_the_bridge_subnets(n: net.Node) -> None:
    v4 = ipaddress.ip_network(f"{net.HOST_V4}/{net.PREFIX_V4}", strict=False)
    v6 = ipaddress.ip_network(f"{net.HOST_V6}/{net.PREFIX_V6}", strict=False)
    assert ipaddress.ip_address(n.ipv4) in v4
    assert ipaddress.ip_address(n.ipv6) in v6
    assert n.ipv4 != net.HOST_V4 and n.ipv6 != net.HOST_V6
    assert v6.is_private  # ULA, never routed anywhere


def test_link_names_fit_the_kernel_limit_and_are_unique() -> None:
    names = [n.veth_host for n in net.ALL_NETNS] + [net.BRIDGE]
    assert all(len(name) <= 15 for name in names)
    assert len(set(names)) == len(names)


def test_node_lookup_accepts_short_names() -> None:
    assert net.node("w1").name == "dslab-w1"
    assert net.node("dslab-cp1").ipv4 == "192.168.77.11"
    with pytest.raises(KeyError):
        net.node("w9")
    # The late node (joined after the conversion) is known by name but not brought up by `up`.
    assert net.node("w3").ipv4 == "192.168.77.23"
    assert net.node("w3") not in net.nodes()
    assert net.late_node("w3").name == "dslab-w3"
    with pytest.raises(KeyError, match="late nodes: dslab-w3"):
        net.late_node("w1")


def test_netns_named_after_node() -> None:
    assert {n.netns for n in net.ALL_NETNS} == {n.name for n in net.ALL_NETNS}
    assert len({n.ipv4 for n in net.ALL_NETNS}) == len({n.ipv6 for n in net.ALL_NETNS}) == len(net.ALL_NETNS)
