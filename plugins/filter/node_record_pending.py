# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: node_record_pending
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The record an interrupted run left for a Node in the records ConfigMap
description:
  - >-
    Returns the newest record kept for the Node named O(name) in the C(kube-system/dualstack-kubernetes-node-records)
    ConfigMap (keys C(<node>_<uid>)), or an empty dict.
options:
  _input:
    description: The ConfigMap as C(kubectl get configmap -o json) prints it; empty when it does not exist.
    type: raw
    required: true
  name:
    description: The Node's name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Use it
  ansible.builtin.debug:
    msg: "{{ cm.stdout | from_json | dualstack.kubernetes.node_record_pending('w1') }}"
"""

RETURN = r"""
_value:
  description: The record (see dualstack.kubernetes.node_record), or an empty dict.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_record_store import pending_record
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.node_record_pending"""

    def filters(self):
        return {"node_record_pending": as_filter("node_record_pending", pending_record)}
