# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: nodes_to_visit
author: Contributors to the dualstack.kubernetes collection
version_added: 1.2.0
short_description: The nodes the nodes role must look at, from the plan and the records ConfigMap
description:
  - >-
    Keeps, in order, the names of O(_input) that preflight did not find converted (O(converted), the plan's
    C(nodes_converted): a podCIDR per family already) and those an interrupted run left a record for in the
    C(kube-system/dualstack-kubernetes-node-records) ConfigMap (O(records)). A run after the conversion reads no
    Node again.
options:
  _input:
    description: Node names, in the order they are converted.
    type: list
    elements: str
    required: true
  converted:
    description: The plan's C(nodes_converted).
    type: list
    elements: str
    required: true
  records:
    description: The records ConfigMap as C(kubectl get configmap -o json) prints it; empty when it does not exist.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Use it
  ansible.builtin.debug:
    msg: "{{ ['w1', 'w2', 'cp1'] | dualstack.kubernetes.nodes_to_visit(plan.nodes_converted, cm.stdout | from_json) }}"
"""

RETURN = r"""
_value:
  description: The names to look at, in the order given.
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_record_store import nodes_to_visit
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.nodes_to_visit"""

    def filters(self):
        return {"nodes_to_visit": as_filter("nodes_to_visit", nodes_to_visit)}
