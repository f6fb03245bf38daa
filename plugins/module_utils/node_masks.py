# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Node mask sizes: the families the cluster runs keep their mask; only the new family's is computed.

kube-controller-manager's ``setNodeCIDRMaskSizes`` (cmd/kube-controller-manager/app/core.go) takes
``--node-cidr-mask-size-ipv4``/``-ipv6``, or for a single-stack cluster ``--node-cidr-mask-size``,
else the defaults ``defaultNodeMaskCIDRIPv4 = 24`` and ``defaultNodeMaskCIDRIPv6 = 64`` (the same
since dual-stack exists). KEP-563: existing CIDRs do not change; a /26 cluster planned at /24 would
lose three quarters of its node capacity on every re-registered node (review finding M1).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import (
    DEFAULT_NODE_MASK,
    check_node_mask,
    node_cidr_mask_size,
    parse_cidr,
    positive_int,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: How many times the nodes counted today the new family's range is sized for (autoscaling, later joins).
HEADROOM = 2


def running_node_masks(flags: Mapping[str, Any], cluster_cidrs: Sequence[str]) -> Dict[str, int]:
    """The mask per family of ``cluster_cidrs`` that kube-controller-manager runs with ``flags`` (setNodeCIDRMaskSizes)."""
    masks: Dict[str, int] = {}
    for cidr in cluster_cidrs:
        version = parse_cidr(cidr).version
        key = "ipv%d" % version
        value = flags.get("node-cidr-mask-size-%s" % key)
        if value in (None, "") and len(cluster_cidrs) == 1:
            value = flags.get("node-cidr-mask-size")
        masks[key] = positive_int(value, "--node-cidr-mask-size-%s" % key) if value not in (None, "") else DEFAULT_NODE_MASK[version]
    return masks


def check_nodes_use(masks: Mapping[str, int], node_objects: Sequence[Mapping[str, Any]]) -> None:
    """Every Node's podCIDR of a family must have the mask the controller runs (else re-registered nodes would differ)."""
    odd: Dict[str, List[str]] = {}
    for node in node_objects:
        spec = node.get("spec") or {}
        for cidr in spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else []):
            network = parse_cidr(cidr)
            key = "ipv%d" % network.version
            if key in masks and network.prefixlen != masks[key]:
                odd.setdefault(key, []).append("%s %s" % ((node.get("metadata") or {}).get("name"), network))
    for key, nodes in sorted(odd.items()):
        raise DualStackError(
            "kube-controller-manager runs node mask /%d for %s but Nodes hold other sizes (%s): a re-registered node would "
            "get a /%d. Make --node-cidr-mask-size-%s match the Nodes' podCIDRs before converting"
            % (masks[key], key.replace("ipv", "IPv"), ", ".join(nodes), masks[key], key)
        )


def check_mask_capacity(network: Any, mask: int, nodes: int, max_pods: int) -> None:
    """An explicit node mask must leave room for every node and for maxPods pods on each."""
    blocks = 2 ** (mask - network.prefixlen)
    addresses = 2 ** (network.max_prefixlen - mask) - 2
    if blocks < nodes or addresses < max_pods:
        raise DualStackError(
            "node mask /%d for %s gives %d node block(s) of %d pod address(es), but %d node(s) at %d pods per "
            "node are planned (kube-controller-manager: 'CIDR allocation failed; there are no remaining CIDRs "
            "left to allocate'). Leave the mask empty to have it computed, or pick one between the two needs"
            % (mask, network, blocks, addresses, nodes, max_pods)
        )


def node_masks(pod: List[str], nodes: int, max_pods: int, given: Mapping[str, Any],
               running: Mapping[str, int] | None = None) -> Dict[str, int]:
    """Per-family node masks: the running ones kept, a new family's given (checked) or computed for ``nodes`` and maxPods."""
    masks: Dict[str, int] = {}
    for cidr in pod:
        network = parse_cidr(cidr)
        key = "ipv%d" % network.version
        explicit = given.get(key) not in (None, "")
        if running and key in running:
            if explicit and positive_int(given[key], "node mask size") != running[key]:
                raise DualStackError(
                    "node_mask_%s=%s but the cluster runs /%d for %s (--node-cidr-mask-size-%s or its default): the "
                    "conversion keeps the running mask (KEP-563: existing CIDRs do not change). Leave "
                    "dualstack_node_mask_%s empty or set it to %d" % (key, given[key], running[key], key, key, key, running[key])
                )
            masks[key] = running[key]
        elif explicit:
            masks[key] = check_node_mask(network, given[key])
            check_mask_capacity(network, masks[key], nodes, max_pods)
        else:
            try:
                masks[key] = node_cidr_mask_size(cidr, nodes=nodes, max_pods=max_pods)
            except DualStackError as err:
                raise DualStackError("%s (%d node(s): the nodes counted today times %d for growth, unless dualstack_node_count "
                                     "says otherwise)" % (err, nodes, HEADROOM)) from None
    return masks


def planned_node_count(node_count: Any, inventory: int, cluster: int) -> int:
    """The nodes a new family's range must hold: as given, else the larger of inventory and cluster, times HEADROOM."""
    if node_count not in (None, ""):
        return positive_int(node_count, "node_count")
    return HEADROOM * max(inventory, cluster, 1)
