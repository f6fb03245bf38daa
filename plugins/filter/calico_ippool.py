# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: calico_ippool
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: The IPv6 IPPool a dual-stack Calico needs
description:
  - Returns a Calico C(IPPool) object for the cluster's IPv6 pod range, in the CRD shape
    (C(crd.projectcalico.org/v1), what C(kubectl apply) can write without the Calico API server) or the Calico API
    shape (C(projectcalico.org/v3), for calicoctl or the Calico API server); both carry the same C(spec).
  - Calico IPAM does not read C(node.spec.podCIDRs), so on a Calico cluster this pool is what gives pods IPv6
    addresses; no node has to be re-registered.
  - >-
    Fails, naming the value, the rule and the fix, when the block size is outside 116 to 128 or larger than the pool,
    when O(ipip_mode) is not V(Never) (IPIP cannot carry IPv6; kubespray asserts the same), when O(pool_cidr) is not
    inside the IPv6 pod range, or when O(api_version) or O(name) is not valid.
options:
  _input:
    description: The cluster's pod ranges after conversion, the existing IPv4 range first, then the IPv6 range.
    type: raw
    required: true
  block_size:
    description: Block size, 116 to 128 (Calico's default for IPv6 is 122). It cannot be changed after creation.
    type: int
    default: 122
  vxlan_mode:
    description: VXLAN mode of the pool (V(Never) means native routing).
    type: str
    choices: [Always, CrossSubnet, Never]
    default: Always
  ipip_mode:
    description: Only V(Never) is accepted; the option exists so that an inventory's IPIP setting is checked, not ignored.
    type: str
    default: Never
  nat_outgoing:
    description: Masquerade pod traffic leaving the pool.
    type: bool
    default: true
  name:
    description: Object name of the pool; C(default-ipv6-ippool) is what calico-node itself would create.
    type: str
    default: default-ipv6-ippool
  api_version:
    description: Which API shape to return.
    type: str
    choices: [crd.projectcalico.org/v1, projectcalico.org/v3]
    default: crd.projectcalico.org/v1
  pool_cidr:
    description: The pool range; defaults to the IPv6 pod range and must lie inside it.
    type: str
  node_selector:
    description: The pool's C(nodeSelector).
    type: str
    default: all()
"""

EXAMPLES = r"""
- name: IPv6 pool for kubectl apply
  ansible.builtin.set_fact:
    calico_v6_pool: "{{ ['10.244.0.0/16', 'fd00:10:244::/56'] | dualstack.kubernetes.calico_ippool(vxlan_mode='Always') }}"
  # {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "default-ipv6-ippool"},
  #  "spec": {"cidr": "fd00:10:244::/56", "blockSize": 122, "ipipMode": "Never", "vxlanMode": "Always",
  #           "natOutgoing": true, "nodeSelector": "all()"}}
"""

RETURN = r"""
_value:
  description: The IPPool object.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.calico import calico_ippool
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.calico_ippool"""

    def filters(self):
        return {"calico_ippool": as_filter("calico_ippool", calico_ippool)}
