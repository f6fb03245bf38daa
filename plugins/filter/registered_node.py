# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: registered_node
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The Node created again before its kubelet restarts, cordoned, with its kept metadata
description:
  - >-
    The kubelet adopts an existing Node of its name, so creating the Node with its labels, annotations, taints and
    C(unschedulable) before the kubelet restarts leaves no moment in which it is schedulable, untainted or
    unlabelled. No podCIDR is set: node IPAM allocates one per family.
options:
  _input:
    description: The Node's name.
    type: str
    required: true
  record:
    description: What the dualstack.kubernetes.node_record filter kept.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Create the Node again, cordoned
  ansible.builtin.command:
    cmd: kubectl create -f -
    stdin: "{{ 'w1' | dualstack.kubernetes.registered_node(record) | to_json }}"
"""

RETURN = r"""
_value:
  description: A Node object.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_record import registered_node
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.registered_node"""

    def filters(self):
        return {"registered_node": as_filter("registered_node", registered_node)}
