# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: calico_enabled_ipv6_pools
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The names of the enabled IPv6 Calico IPPools
description:
  - Returns the names of the IPPools whose C(spec.cidr) is IPv6 and that are not disabled (no C(spec.disabled) counts
    as enabled).
  - On the pools P(dualstack.kubernetes.calico_dualstack#filter) returns (which refuses every enabled IPv6 pool outside
    the target range) these are the pools pods get their IPv6 address from; none means one has to be created.
options:
  _input:
    description: IPPool objects (a list, one object, or a C(List) as C(kubectl get ippools -o json) prints it).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Create the IPv6 pool only when no enabled one exists
  ansible.builtin.debug:
    msg: "{{ pools | dualstack.kubernetes.calico_enabled_ipv6_pools | length == 0 }}"
"""

RETURN = r"""
_value:
  description: Pool names, in the order given.
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.calico import enabled_ipv6_pools
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.calico_enabled_ipv6_pools"""

    def filters(self):
        return {"calico_enabled_ipv6_pools": as_filter("calico_enabled_ipv6_pools", enabled_ipv6_pools)}
