# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""plugins/module_utils/node_checks.py: the e2e node-level checks over one Node list."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_checks import node_checks

DUAL = ["IPv4", "IPv6"]


def node(name, ips, cidrs, pod_cidr=None):
    spec = {"podCIDRs": cidrs} if cidrs else {}
    if cidrs or pod_cidr:
        spec["podCIDR"] = cidrs[0] if pod_cidr is None else pod_cidr
    return {"metadata": {"name": name}, "spec": spec,
            "status": {"addresses": [{"type": "Hostname", "address": name}]
                       + [{"type": "InternalIP", "address": ip} for ip in ips]}}


def by_check(results):
    return {r["check"]: (r["ok"], r["detail"]) for r in results}


def test_converted_nodes_pass_and_rows_are_kept():
    nodes = {"kind": "List", "items": [node("w1", ["192.168.77.21", "fd00:77::21"], ["10.244.1.0/24", "fd00:10:244:1::/64"])]}
    rows, results = node_checks(nodes, DUAL)
    assert rows == [{"name": "w1", "internal_ips": ["192.168.77.21", "fd00:77::21"],
                     "pod_cidrs": ["10.244.1.0/24", "fd00:10:244:1::/64"]}]
    assert by_check(results) == {
        "node w1: one InternalIP per family": (True, "192.168.77.21, fd00:77::21"),
        "node w1: one podCIDR per family, primary first": (True, "10.244.1.0/24, fd00:10:244:1::/64"),
    }


@pytest.mark.parametrize("ips, cidrs, pod_cidr, ip_ok, cidr_ok", [
    (["192.168.77.21"], ["10.244.1.0/24"], None, False, False),                                      # not converted
    (["fd00:77::21", "192.168.77.21"], ["10.244.1.0/24", "fd00:10:244:1::/64"], None, False, True),  # IPv6 first
    (["192.168.77.21", "fd00:77::21"], ["fd00:10:244:1::/64", "10.244.1.0/24"], None, True, False),
    (["192.168.77.21", "fd00:77::21"], ["10.244.1.0/24", "fd00:10:244:1::/64"], "10.244.9.0/24", True, False),
    (["192.168.77.21", "fd00:77::21", "fd00:77::99"], [], None, False, False),
])
def test_what_fails(ips, cidrs, pod_cidr, ip_ok, cidr_ok):
    results = node_checks([node("w1", ips, cidrs, pod_cidr)], DUAL)[1]
    assert [r["ok"] for r in results] == [ip_ok, cidr_ok]


def test_outside_the_inventory_only_the_primary_family_first_and_pod_cidrs_optional():
    _rows, results = node_checks([node("pool-1", ["192.168.9.1"], ["10.244.7.0/24", "fd00:10:244:7::/64"])], DUAL,
                                 api_only=["pool-1"], pod_cidrs=False)
    assert results == [{"check": "node pool-1: one InternalIP per family", "ok": True,
                        "detail": "192.168.9.1 (outside the inventory: the addresses its own kubelet reports, primary first)"}]
    # Single-stack (the way back) checks one family.
    results = node_checks([node("w1", ["192.168.77.21"], ["10.244.1.0/24"])], ["IPv4"])[1]
    assert all(r["ok"] for r in results)


def test_a_garbled_address_is_named():
    with pytest.raises(DualStackError, match="'banana' is neither an IP address nor a CIDR"):
        node_checks([node("w1", ["banana"], [])], DUAL)


def test_five_thousand_nodes_in_one_pass():
    items = [node("n%04d" % i, ["10.%d.%d.1" % (i // 256, i % 256), "fd00:1::%x" % i],
                  ["10.200.%d.0/24" % (i % 256), "fd00:10:%x::/64" % i]) for i in range(5000)]
    rows, results = node_checks({"items": items}, DUAL)
    assert len(rows) == 5000 and len(results) == 10000 and all(r["ok"] for r in results)
