# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: ips_outside_ranges
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The addresses that lie in none of the given ranges
description:
  - Returns the entries of the input that are in none of O(ranges), in order; an entry that is not an address counts as outside.
options:
  _input:
    description: IP addresses.
    type: list
    elements: str
    required: true
  ranges:
    description: CIDRs, as a list or a comma-separated string.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: ClusterIPs outside the Service ranges
  ansible.builtin.debug:
    msg: "{{ ['10.96.0.10', 'fd00:10:96::a', '10.0.0.1'] | dualstack.kubernetes.ips_outside_ranges('10.96.0.0/16,fd00:10:96::/112') }}"
  # => ['10.0.0.1']
"""

RETURN = r"""
_value:
  description: The addresses outside every range.
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.address_ranges import ips_outside_ranges
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.ips_outside_ranges"""

    def filters(self):
        return {"ips_outside_ranges": as_filter("ips_outside_ranges", ips_outside_ranges)}
