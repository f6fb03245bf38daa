# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: pods_to_recreate
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The pods of a re-registered node that must be recreated for addresses from its new podCIDRs
description:
  - >-
    After a drained Node registered again with a podCIDR per family, the pods still on it (DaemonSet pods) hold
    addresses from the old podCIDR, which the other nodes no longer route. Returns those on the pod network that were
    created before the new Node (host-network pods and pods already being deleted are left out).
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
- name: Recreate them
  ansible.builtin.command: kubectl -n {{ item.namespace }} delete pod {{ item.name }} --wait=false
  loop: "{{ pods.stdout | from_json | dualstack.kubernetes.pods_to_recreate(node.metadata.creationTimestamp) }}"
"""

RETURN = r"""
_value:
  description: One C({namespace, name}) per pod to recreate.
  type: list
  elements: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_pods import pods_to_recreate
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.pods_to_recreate"""

    def filters(self):
        return {"pods_to_recreate": as_filter("pods_to_recreate", pods_to_recreate)}
