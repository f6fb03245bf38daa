# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: csinode_state
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Whether CSINode/<node> still belongs to the deleted Node, and which drivers it does not list again
description:
  - >-
    Returns C(stale) (still owned by the deleted Node's UID) and C(missing) (drivers of O(drivers) it does not list
    for the Node of UID O(node_uid); all while absent or stale).
options:
  _input:
    description: C(kubectl get csinode <node> -o json), or empty when absent.
    type: raw
    required: true
  node_uid:
    description: The new Node's UID.
    type: str
    required: true
  drivers:
    description: The drivers it listed before.
    type: list
    required: true
    elements: str
"""

EXAMPLES = r"""
- name: Use it
  ansible.builtin.debug:
    msg: "{{ csinode.stdout | from_json | dualstack.kubernetes.csinode_state(node.metadata.uid, record.csi_drivers) }}"
"""

RETURN = r"""
_value:
  description: A dict with C(stale) (a bool) and C(missing) (driver names).
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.csi_nodes import csinode_state
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.csinode_state"""

    def filters(self):
        return {"csinode_state": as_filter("csinode_state", csinode_state)}
