# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: node_cidr_mask_size
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: The per-node pod CIDR mask for one cluster range
description:
  - Computes the value of kube-controller-manager's C(--node-cidr-mask-size-ipv4) or C(--node-cidr-mask-size-ipv6)
    for one cluster range (P is its prefix length, bits is 32 or 128).
  - Candidate masks M run from P to min(P+16, bits) (the node mask may be at most 16 bits longer than the
    cluster mask, C(clusterSubnetMaxDiff)).
  - M is feasible when the range holds enough node blocks, 2^(M-P) >= O(nodes), and a block holds enough pods,
    2^(bits-M) - 2 >= O(max_pods).
  - Returns the feasible M closest to the Kubernetes default (24 for IPv4, 64 for IPv6); on a tie the smaller M.
  - When no M is feasible, fails with a message stating how many nodes the range can hold at that O(max_pods)
    and the cluster range size that would fit.
options:
  _input:
    description: One cluster CIDR (one family). Call the filter once per family.
    type: str
    required: true
  nodes:
    description: How many nodes must get a block (plan for growth, not just today's count).
    type: int
    default: 1
  max_pods:
    description: The kubelet's C(maxPods).
    type: int
    default: 110
"""

EXAMPLES = r"""
- name: Node masks for both families of a three-node cluster
  ansible.builtin.debug:
    msg:
      node-cidr-mask-size-ipv4: "{{ '10.244.0.0/16' | dualstack.kubernetes.node_cidr_mask_size(nodes=3) }}"  # 24
      node-cidr-mask-size-ipv6: "{{ 'fd00:10:244::/56' | dualstack.kubernetes.node_cidr_mask_size(nodes=3) }}"  # 64

- name: A small IPv6 range (kubespray's default) with 250 pods per node
  ansible.builtin.debug:
    msg: "{{ 'fd85:ee78:d8a6:8607::1:0/112' | dualstack.kubernetes.node_cidr_mask_size(nodes=100, max_pods=250) }}"  # 119
"""

RETURN = r"""
_value:
  description: The node mask size, an integer between the cluster prefix and 32 or 128.
  type: int
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import node_cidr_mask_size
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.node_cidr_mask_size"""

    def filters(self):
        return {"node_cidr_mask_size": as_filter("node_cidr_mask_size", node_cidr_mask_size)}
