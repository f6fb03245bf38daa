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
    P(dualstack.kubernetes.node_cidr_mask_size#filter) from the node count and O(max_pods); with O(current), the
    families the cluster runs keep their running mask.
  - A flag whose value is V(null) in the result is to be removed (for example the legacy C(--node-cidr-mask-size)).
extends_documentation_fragment:
  - dualstack.kubernetes.nodes_batch
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
      - >-
        What preflight read from the running cluster. With it the target is also checked against the cluster -
        the release (1.21 or newer, kubelets included, and the one kube-apiserver reports), current ranges kept in
        place and order (with no C(--cluster-cidr), Calico's enabled pool of the primary family is the current pod
        range), control planes agree, the node masks the cluster runs kept, every Node in the inventory, Nodes that
        cannot be re-registered refused when the CNI needs it, IPv6 enabled on every node, given node addresses
        present and keeping the primary one.
      - >-
        Empty node addresses are detected: the Node's current InternalIP (else the kubelet's C(--node-ip)) is kept;
        the new family's address is the one usable global address on its interface, else on that family's default
        route's - never loopback, link-local, deprecated, tentative, temporary or finite-lifetime; ambiguity is refused.
      - >-
        Keys, all optional - C(server_version), C(service_cidrs) and C(pod_cidrs) (control-plane host to the current
        flag value), C(controller_manager) (control-plane host to its flags), C(node_objects) (the Nodes), C(hosts)
        (the k8s_cluster group), C(kubelet_flags) (host to its kubelet's flags), C(interfaces) (host to the output of
        C(ip -j addr show)), C(routes) (host to the outputs of C(ip -j -4 route show default) and C(-6)),
        C(disable_ipv6) (host to the sysctl value), C(component_flags) (host to component to the flags it runs
        with; the plan then has C(feature_gates), each host's C(--feature-gates) edit per component, which the roles
        write), C(cni) (the inputs of the cni_detect filter: C(daemonsets),
        C(configmaps), C(node_configs), C(declared), C(reregister), C(ippools); the plan then has C(cni), the
        detected CNI).
    type: dict
  started:
    description: When the run started (RFC 3339, UTC); the plan carries it as C(started) for checks of events newer than the run.
    type: str
  node_count:
    description:
      - How many nodes the new family's pod range must hold (plan for growth). Defaults to twice the larger of the
        number of O(nodes) and of the cluster's Nodes; a family the cluster runs keeps its mask.
    type: raw
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
    C(feature_gates) (host to component to its C(--feature-gates) edit, when O(current) has C(component_flags)),
    C(nodes_batch) (non-control-plane nodes converted at once), C(node_count) (the Nodes read, else the inventory's),
    and C(summary), the plan as printable lines.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import conversion_plan
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.conversion_plan"""

    def filters(self):
        return {"conversion_plan": as_filter("conversion_plan", conversion_plan)}
