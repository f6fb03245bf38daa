# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: node_converted
author: Contributors to the dualstack.kubernetes collection
version_added: 1.2.0
short_description: Whether a Node already has one podCIDR per family, in the plan's order
description:
  - >-
    True when the Node object O(_input) has C(spec.podCIDRs) one per family of O(families), in that order: what
    preflight calls converted (the plan's C(nodes_converted)) and the nodes role does not re-register. False for an
    empty object (no such Node).
options:
  _input:
    description: The Node as C(kubectl get node -o json) prints it; empty when it does not exist.
    type: dict
    required: true
  families:
    description: The plan's C(families), e.g. C([IPv4, IPv6]).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Use it
  ansible.builtin.debug:
    msg: "{{ node.stdout | from_json | dualstack.kubernetes.node_converted(plan.families) }}"
"""

RETURN = r"""
_value:
  description: Whether the Node is converted.
  type: bool
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cluster_nodes import node_converted
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.node_converted"""

    def filters(self):
        return {"node_converted": as_filter("node_converted", node_converted)}
