# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: flannel_nodes_without_ipv6_lease
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The Nodes whose flanneld does not announce an IPv6 lease yet
description:
  - >-
    A flanneld started with C(EnableIPv6) writes the C(public-ipv6) and C(backend-v6-data) annotations (under
    O(prefix)) on its Node; its peers build their IPv6 routes and VXLAN entries from them. Returns the names of the
    Nodes that lack either, sorted.
options:
  _input:
    description: The Nodes, as C(kubectl get nodes -o json) prints them (a List or a list of Nodes).
    type: raw
    required: true
  prefix:
    description: flannel's annotation prefix (C(--kube-annotation-prefix) followed by C(/)).
    type: str
    default: flannel.alpha.coreos.com/
"""

EXAMPLES = r"""
- name: Nodes still without an IPv6 lease
  ansible.builtin.debug:
    msg: "{{ nodes_json.stdout | from_json | dualstack.kubernetes.flannel_nodes_without_ipv6_lease }}"
"""

RETURN = r"""
_value:
  description: Node names.
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flannel_lease import nodes_without_ipv6_lease
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.flannel_nodes_without_ipv6_lease"""

    def filters(self):
        return {"flannel_nodes_without_ipv6_lease": as_filter("flannel_nodes_without_ipv6_lease", nodes_without_ipv6_lease)}
