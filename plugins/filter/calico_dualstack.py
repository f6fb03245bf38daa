# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: calico_dualstack
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Turn on IPv6 in the objects of a manifest-installed Calico
description:
  - Takes one Calico object as C(kubectl get -o json) prints it (parsed with C(from_json)), or a list of them, or a
    C(*List) object with C(items), and returns the dual-stack version (a list for a list).
  - ConfigMap C(calico-config) - the calico plugin's C(ipam) in C(cni_network_config) gets C(assign_ipv4) and
    C(assign_ipv6) V("true") (C(calico-ipam)), or C(ranges) C(usePodCidr) plus C(usePodCidrIPv6) (C(host-local)).
    Install-time placeholders such as C(__CNI_MTU__) are kept.
  - DaemonSet C(calico-node) - the calico-node container gets C(IP6=autodetect) (an explicit C(IP6) is kept),
    C(FELIX_IPV6SUPPORT=true), C(CALICO_IPV6POOL_CIDR), C(CALICO_IPV6POOL_BLOCK_SIZE), C(CALICO_IPV6POOL_VXLAN),
    C(CALICO_IPV6POOL_NAT_OUTGOING) and, when given, C(IP6_AUTODETECTION_METHOD).
  - IPPool - an IPv4 pool is returned unchanged; an IPv6 pool is checked (inside the IPv6 pod range, block size
    116 to 128 and unchanged, no IPIP) and gets C(natOutgoing) and C(vxlanMode). Create the pool itself with
    P(dualstack.kubernetes.calico_ippool#filter).
  - Objects that already have all of this are returned unchanged, embedded JSON text included.
  - An operator-managed Calico (tigera-operator) is configured through its C(Installation) resource, not these objects.
options:
  _input:
    description: The calico-config ConfigMap, the calico-node DaemonSet, an IPPool, or a list of them.
    type: raw
    required: true
  pod_cidrs:
    description: The cluster's pod ranges after conversion, the existing IPv4 range first, then the IPv6 range.
    type: raw
    required: true
  block_size:
    description: Block size of the IPv6 pool, 116 to 128 (Calico's default for IPv6 is 122); it must fit in the pool.
    type: int
    default: 122
  vxlan_mode:
    description:
      - VXLAN mode of the IPv6 pool. IPIP cannot carry IPv6, so an overlay needs VXLAN (Calico 3.23 or newer);
        V(Never) means native routing (BGP or routes between the nodes).
    type: str
    choices: [Always, CrossSubnet, Never]
    default: Always
  nat_outgoing:
    description: Masquerade IPv6 pod traffic leaving the pool (C(natOutgoing), C(CALICO_IPV6POOL_NAT_OUTGOING)).
    type: bool
    default: true
  ip6_autodetection_method:
    description: Value for C(IP6_AUTODETECTION_METHOD) (e.g. C(interface=eth0)); not set when omitted.
    type: str
"""

EXAMPLES = r"""
- name: Dual-stack calico-config and calico-node
  ansible.builtin.set_fact:
    calico_new: "{{ [calico_config, calico_node]
                    | dualstack.kubernetes.calico_dualstack(pod_cidrs='10.244.0.0/16,fd00:10:244::/56', vxlan_mode='CrossSubnet') }}"
"""

RETURN = r"""
_value:
  description: The transformed object (a list of them for a list input); equal to the input when nothing was missing.
  type: raw
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.calico import calico_dualstack
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.calico_dualstack"""

    def filters(self):
        return {"calico_dualstack": as_filter("calico_dualstack", calico_dualstack)}
