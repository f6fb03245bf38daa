# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: node_record
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: What a Node keeps across its re-registration
description:
  - >-
    Returns the UID, labels, annotations, taints (except the C(node.kubernetes.io/) ones the node lifecycle
    controller manages), C(unschedulable) and podCIDRs of a Node, as C(kubectl get node -o json) prints it.
options:
  _input:
    description: The Node.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Keep what the Node carries
  ansible.builtin.set_fact:
    record: "{{ node.stdout | from_json | dualstack.kubernetes.node_record }}"
"""

RETURN = r"""
_value:
  description: uid, labels, annotations, taints, unschedulable, pod_cidrs.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_record import node_record
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.node_record"""

    def filters(self):
        return {"node_record": as_filter("node_record", node_record)}
