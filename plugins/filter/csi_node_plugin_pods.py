# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: csi_node_plugin_pods
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The CSI node plugin pods of a re-registered node, to restart so that their drivers register again
description:
  - >-
    Returns the pods that mount the kubelet's plugin registration directory (a hostPath ending in C(plugins_registry)) and were created before the new Node.
options:
  _input:
    description: The node's pods as C(kubectl get pods -o json) prints them (a PodList, a list, or one Pod).
    type: raw
    required: true
  registered:
    description: The new Node's C(metadata.creationTimestamp).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Use it
  ansible.builtin.debug:
    msg: "{{ pods.stdout | from_json | dualstack.kubernetes.csi_node_plugin_pods(node.metadata.creationTimestamp) }}"
"""

RETURN = r"""
_value:
  description: One C({namespace, name}) per pod.
  type: list
  elements: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.csi_nodes import csi_node_plugin_pods
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.csi_node_plugin_pods"""

    def filters(self):
        return {"csi_node_plugin_pods": as_filter("csi_node_plugin_pods", csi_node_plugin_pods)}
