# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: flannel_lease_mismatches
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: What in flannel's subnet.env does not match the Node's podCIDRs
description:
  - >-
    flanneld reads its Node's podCIDRs once, when it takes its lease, and writes the lease to
    C(/run/flannel/subnet.env) (C(FLANNEL_SUBNET), C(FLANNEL_IPV6_SUBNET)). After a Node is re-registered with new
    podCIDRs its flanneld is restarted; this filter tells when the new lease is in place.
  - Returns an empty list when every lease in the file is the podCIDR of its family and the IPv4 lease is present.
options:
  _input:
    description: The text of subnet.env.
    type: str
    required: true
  pod_cidrs:
    description: The Node's C(spec.podCIDRs) (list or comma-separated).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Wait for flannel's new lease
  ansible.builtin.slurp:
    src: /run/flannel/subnet.env
  register: subnet_env
  until: subnet_env.content | b64decode | dualstack.kubernetes.flannel_lease_mismatches(node.spec.podCIDRs) | length == 0
  retries: 30
  delay: 2
"""

RETURN = r"""
_value:
  description: One line per mismatch (empty when flanneld runs with the Node's podCIDRs).
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flannel_lease import lease_mismatches
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.flannel_lease_mismatches"""

    def filters(self):
        return {"flannel_lease_mismatches": as_filter("flannel_lease_mismatches", lease_mismatches)}
