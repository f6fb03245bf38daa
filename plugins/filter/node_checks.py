# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: node_checks
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The e2e suite's node-level dual-stack checks over one list of every Node
description:
  - >-
    Every Node needs one InternalIP per family, primary first (a Node outside the inventory converted through the API
    only, its primary family first), and with O(pod_cidrs) one podCIDR per family, primary first, C(spec.podCIDR)
    the first. One pass over the list, however many Nodes.
options:
  _input:
    description: C(kubectl get nodes -o json) (the List or its items).
    type: raw
    required: true
  families:
    description: The plan's families, primary first.
    type: list
    elements: str
    required: true
  api_only:
    description: Nodes outside the inventory converted through the API only.
    type: list
    elements: str
    default: []
  pod_cidrs:
    description: Check the podCIDRs too (false when the CNI's IPAM ignores them).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Check every Node
  ansible.builtin.set_fact:
    checks: "{{ nodes.stdout | from_json | dualstack.kubernetes.node_checks(['IPv4', 'IPv6']) }}"
"""

RETURN = r"""
_value:
  description: >-
    A list of two lists - the rows (C(name), C(internal_ips), C(pod_cidrs)) and the results (C(check), C(ok),
    C(detail)).
  type: list
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_checks import node_checks
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.node_checks"""

    def filters(self):
        return {"node_checks": as_filter("node_checks", node_checks)}
