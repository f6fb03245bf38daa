# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: node_record_forget_patch
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The ConfigMap merge patch that removes every record of a Node
description:
  - >-
    Returns C({data: {<key>: null, ...}}) for each record of the Node named O(name) (and the key of O(uid)), or C(None) when there is none.
options:
  _input:
    description: The ConfigMap as C(kubectl get configmap -o json) prints it; empty when it does not exist.
    type: raw
    required: true
  name:
    description: The Node's name.
    type: str
    required: true
  uid:
    description: The UID of a record written after the ConfigMap was read (its key is removed too).
    type: str
"""

EXAMPLES = r"""
- name: Use it
  ansible.builtin.debug:
    msg: "{{ cm.stdout | from_json | dualstack.kubernetes.node_record_forget_patch('w1', record.uid) | to_json }}"
"""

RETURN = r"""
_value:
  description: A merge patch, or None.
  type: raw
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_record_store import forget_patch
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.node_record_forget_patch"""

    def filters(self):
        return {"node_record_forget_patch": as_filter("node_record_forget_patch", forget_patch)}
