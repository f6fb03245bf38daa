# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_family
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: The IP family (IPv4 or IPv6) of an address or a CIDR
description:
  - Returns C(IPv4) or C(IPv6), spelled the way Kubernetes spells C(spec.ipFamilies) entries.
  - Accepts a plain address or a CIDR; host bits may be set (an interface address such as C(192.0.2.10/24)).
  - Fails with a clear message for anything else, including empty strings and non-strings.
  - Uses the Python standard library C(ipaddress) module; no C(netaddr) needed.
options:
  _input:
    description: An IPv4 or IPv6 address or CIDR.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Family of the node address Ansible connects to
  ansible.builtin.debug:
    msg: "{{ ansible_host | dualstack.kubernetes.ip_family }}"

- name: Families of a pair, in order
  ansible.builtin.debug:
    msg: "{{ ['10.244.0.0/16', 'fd00:10:244::/56'] | map('dualstack.kubernetes.ip_family') | list }}"
  # => ['IPv4', 'IPv6']
"""

RETURN = r"""
_value:
  description: C(IPv4) or C(IPv6).
  type: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import ip_family
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.ip_family"""

    def filters(self):
        return {"ip_family": as_filter("ip_family", ip_family)}
