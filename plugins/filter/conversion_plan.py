# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: conversion_plan
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Validate a dual-stack target as a whole and compute every component's flags
description:
  - Runs every rule of M(dualstack.kubernetes.component_flags)'s inputs at once, before any host changes.
  - >-
    Pod and Service ranges are checked as in P(dualstack.kubernetes.dualstack_cidrs#filter), must list the same
    families in the same order, and must not overlap each other or the node networks.
  - >-
    Every node needs one global address per cluster family (never loopback such as C(::1), link-local or
    unspecified), outside the pod and Service ranges; they are put primary family first.
  - >-
    Node masks are taken from O(node_mask_ipv4)/O(node_mask_ipv6) and checked, or computed with
    P(dualstack.kubernetes.node_cidr_mask_size#filter) from the node count and O(max_pods).
  - A flag whose value is V(null) in the result is to be removed (for example the legacy C(--node-cidr-mask-size)).
options:
  _input:
    description: The pod ranges (C(--cluster-cidr)), as for P(dualstack.kubernetes.dualstack_cidrs#filter).
    type: raw
    required: true
  service_cidrs:
    description: The Service ranges (C(--service-cluster-ip-range)), current primary first.
    type: raw
    required: true
  kube_version:
    description: The cluster's Kubernetes version.
    type: str
    required: true
  nodes:
    description: Node name to its addresses (a list or a comma-separated string).
    type: dict
    required: true
  max_pods:
    description: The kubelet's C(maxPods).
    type: int
    default: 110
  node_mask_ipv4:
    description: Explicit C(--node-cidr-mask-size-ipv4); computed when omitted.
    type: int
  node_mask_ipv6:
    description: Explicit C(--node-cidr-mask-size-ipv6); computed when omitted.
    type: int
  current_feature_gates:
    description: The components' current C(--feature-gates) value or dict.
    type: raw
    default: ""
  node_cidrs:
    description: The networks the nodes' own addresses are in, to check for overlap (optional).
    type: raw
  current:
    description:
      - What preflight read from the running cluster. With it the target is also checked against the cluster
        (current ranges kept in place and order, control planes agree, IPv6 enabled on every node, given node
        addresses present) and empty node addresses are detected (global, preferred addresses on the interface
        that carries the node's current address).
      - >-
        Keys, all optional - C(service_cidrs) and C(pod_cidrs) (control-plane host to the current flag value),
        C(interfaces) (host to the output of C(ip -j addr show)), C(anchors) (host to its current node address),
        C(disable_ipv6) (host to the sysctl value), C(cni) (the inputs of the cni_detect filter: C(daemonsets),
        C(configmaps), C(node_configs), C(declared), C(reregister); the plan then has C(cni), the detected CNI).
    type: dict
  node_count:
    description: How many nodes the pod ranges must hold (plan for growth); defaults to the number of O(nodes).
    type: int
"""

EXAMPLES = r"""
- name: Plan the conversion of a three-node cluster
  ansible.builtin.debug:
    msg: >-
      {{ '10.244.0.0/16,fd00:10:244::/56' | dualstack.kubernetes.conversion_plan(
           service_cidrs='10.96.0.0/16,fd00:10:96::/112', kube_version='v1.34.4',
           nodes={'cp1': ['192.168.77.11', 'fd00:77::11'], 'w1': '192.168.77.21,fd00:77::21'}) }}
"""

RETURN = r"""
_value:
  description: >-
    The plan: C(kube_version), C(families), C(pod_cidrs), C(service_cidrs), C(node_masks), and the flags per
    component (C(kube-apiserver), C(kube-controller-manager), C(kube-proxy)) and per node (C(kubelet)),
    and C(summary), the plan as printable lines.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import conversion_plan
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.conversion_plan"""

    def filters(self):
        return {"conversion_plan": as_filter("conversion_plan", conversion_plan)}
