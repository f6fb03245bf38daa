# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: nodes_without_pod_cidr
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: The Nodes that have no IPv6 podCIDR yet
description:
  - Takes the Nodes as C(kubectl get nodes -o json) prints them (the C(List), a list, or one Node) and returns the
    names of those whose C(spec.podCIDRs) hold no IPv6 block inside the cluster's IPv6 pod range.
  - Those nodes were registered before the conversion and keep single-stack podCIDRs until re-registered
    (C(spec.podCIDRs) is immutable). A CNI whose IPAM reads node podCIDRs (flannel, bridge/host-local) gives pods
    on them no IPv6 address; flannel builds every node's lease from its podCIDRs, so turn its IPv6 on only when
    this list is empty.
options:
  _input:
    description: The Nodes.
    type: raw
    required: true
  pod_cidrs:
    description: The cluster's pod ranges after conversion, the existing IPv4 range first, then the IPv6 range.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the nodes
  ansible.builtin.command: kubectl get nodes -o json
  register: nodes
  changed_when: false

- name: Fail while some node has no IPv6 podCIDR
  ansible.builtin.assert:
    that: missing | length == 0
    fail_msg: "Re-register these nodes first: {{ missing | join(', ') }}"
  vars:
    missing: "{{ nodes.stdout | from_json | dualstack.kubernetes.nodes_without_pod_cidr(pod_cidrs='10.244.0.0/16,fd00:10:244::/56') }}"
"""

RETURN = r"""
_value:
  description: Names of the Nodes without an IPv6 podCIDR in the IPv6 pod range, in the order given.
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_ipam import nodes_without_pod_cidr
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.nodes_without_pod_cidr"""

    def filters(self):
        return {"nodes_without_pod_cidr": as_filter("nodes_without_pod_cidr", nodes_without_pod_cidr)}
