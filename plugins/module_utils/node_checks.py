# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The node-level checks of upstream's dual-stack e2e suite, over one list of every Node.

test/e2e/network/dual_stack.go ("should have ipv4 and ipv6 internal node ip", "should create pod, add ipv6
and ipv4 ip to pod ips" via the node's podCIDRs) reads each Node; the docs' way is one
``kubectl get node NAME -o go-template`` per node. Here the whole ``kubectl get nodes -o json`` list is checked
in one pass, so the cost grows with the size of that list and not with a kubectl round trip per node
(benchmarks/scale.py times both).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import ip_family


def families_of_values(values: Iterable[str]) -> List[str]:
    """``IPv4``/``IPv6`` of each address or range, in order."""
    return [ip_family(value) for value in values]


def node_checks(nodes: Any, families: Sequence[str], api_only: Sequence[str] = (),
                pod_cidrs: bool = True) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """``(rows, results)`` for every Node of ``nodes`` (a ``kubectl get nodes -o json`` List or its items).

    Each Node needs one InternalIP per family of ``families``, primary first (a Node of ``api_only``, outside the
    inventory, only its primary family first: its own kubelet reports its addresses) and, when ``pod_cidrs``, one
    podCIDR per family, primary first, with ``spec.podCIDR`` the first. ``rows`` are name, InternalIPs and
    podCIDRs; ``results`` the verify role's ``check``/``ok``/``detail`` rows.
    """
    items = nodes.get("items", []) if isinstance(nodes, Mapping) else list(nodes or [])
    outside = set(api_only or [])
    wanted = list(families)
    rows: List[Dict[str, Any]] = []
    results: List[Dict[str, Any]] = []
    for node in items:
        name = (node.get("metadata") or {}).get("name", "")
        status, spec = node.get("status") or {}, node.get("spec") or {}
        ips = [a.get("address") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"]
        cidrs = list(spec.get("podCIDRs") or [])
        rows.append({"name": name, "internal_ips": ips, "pod_cidrs": cidrs})
        ip_families = families_of_values(ips)
        api = name in outside
        results.append({
            "check": "node %s: one InternalIP per family" % name,
            "ok": ip_families == wanted or (api and ip_families[:1] == wanted[:1]),
            "detail": ", ".join(ips) + (" (outside the inventory: the addresses its own kubelet reports, primary first)"
                                        if api else ""),
        })
        if pod_cidrs:
            results.append({
                "check": "node %s: one podCIDR per family, primary first" % name,
                "ok": families_of_values(cidrs) == wanted and spec.get("podCIDR", "") == (cidrs + [""])[0],
                "detail": ", ".join(cidrs),
            })
    return rows, results
