# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: services_to_single_stack
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The Services to set back to SingleStack, read again right before the apiservers drop a range
description:
  - Takes the Services as C(kubectl get services --all-namespaces -o json) prints them (the C(List) or its items)
    and returns C(namespace/name) of each that holds two ClusterIPs or asks for two families (C(PreferDualStack),
    C(RequireDualStack)), sorted.
  - Fails, naming them, when a Service's first family is not O(primary) (its primary ClusterIP cannot change in place).
  - The way back reads the Services again right before the kube-apiserver step, so that Services created or changed
    since preflight do not keep the dropped range in use.
options:
  _input:
    description: The Services.
    type: raw
    required: true
  primary:
    description: The family the way back keeps (C(IPv4) or C(IPv6)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Show the Services that still ask for a second family
  ansible.builtin.debug:
    msg: "{{ services.stdout | from_json | dualstack.kubernetes.services_to_single_stack('IPv4') }}"
"""

RETURN = r"""
_value:
  description: C(namespace/name) of each Service to set to SingleStack.
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.rollback import services_to_single_stack
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.services_to_single_stack"""

    def filters(self):
        return {"services_to_single_stack": as_filter("services_to_single_stack", services_to_single_stack)}
