# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: nslookup_addresses
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The answer addresses of an nslookup output
description:
  - Returns the addresses answered, in order, duplicates kept; the C(Server:) block is skipped.
  - Reads bind's and busybox's formats (C(Address:), C(Address 1:) and C(has AAAA address) lines); error lines give none.
options:
  _input:
    description: The output of C(nslookup -type=a NAME) or C(nslookup -type=aaaa NAME).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: A records
  ansible.builtin.debug:
    msg: "{{ lookup_a.stdout | dualstack.kubernetes.nslookup_addresses }}"
"""

RETURN = r"""
_value:
  description: IP addresses.
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.dns_records import nslookup_addresses
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.nslookup_addresses"""

    def filters(self):
        return {"nslookup_addresses": as_filter("nslookup_addresses", nslookup_addresses)}
