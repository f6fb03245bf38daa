# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: cni_ipam
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Whether a CNI's IPAM takes pod addresses from node.spec.podCIDRs
description:
  - >-
    Returns V(true) when the CNI's IPAM hands out pod addresses from each node's C(spec.podCIDRs). Then every
    existing node has to be re-registered (drain, delete the Node, restart the kubelet) to get an IPv6 podCIDR:
    kube-controller-manager never adds a CIDR to a Node that has one, and C(spec.podCIDRs) is immutable
    (C(node updates may not change podCIDR except from "" to valid)).
  - C(bridge) and C(kindnet) (host-local), C(flannel), Calico with C(host-local) IPAM and Cilium C(ipam=kubernetes)
    return V(true); C(calico-ipam) and Cilium C(cluster-pool) / C(multi-pool) return V(false).
  - For Calico the IPAM is read from the C(calico-config) ConfigMap, for Cilium from the C(ipam) key of the
    C(cilium-config) ConfigMap, when given in O(objects); otherwise the CNI's default is assumed
    (C(calico-ipam), C(cluster-pool)).
  - Fails for an unknown CNI or IPAM mode, naming the known ones.
options:
  _input:
    description: The CNI.
    type: str
    required: true
    choices: [bridge, calico, cilium, flannel, kindnet]
  objects:
    description: The CNI's configuration objects as C(kubectl get -o json) prints them (one, a list, or a C(List)).
    type: raw
"""

EXAMPLES = r"""
- name: Decide whether nodes must be re-registered
  ansible.builtin.set_fact:
    reregister_nodes: "{{ 'calico' | dualstack.kubernetes.cni_ipam(calico_config) }}"
"""

RETURN = r"""
_value:
  description: Whether the IPAM uses node.spec.podCIDRs.
  type: bool
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_ipam import cni_ipam
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.cni_ipam"""

    def filters(self):
        return {"cni_ipam": as_filter("cni_ipam", cni_ipam)}
