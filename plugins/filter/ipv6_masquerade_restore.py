# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: ipv6_masquerade_restore
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The ip6tables-restore input that sets the IPv6 egress masquerade chain up in one transaction
description:
  - >-
    From the rules of P(dualstack.kubernetes.ipv6_masquerade_rules#filter), returns the C(ip6tables-restore --noflush)
    text - C(*nat), the dedicated chain declared (created, or flushed when it exists), its rules in order, the jump
    from C(POSTROUTING) when O(jump), C(COMMIT) - so that the chain is never empty while it is refilled.
  - With O(jump) it is also the file a boot-time unit restores, so that the rules survive a reboot.
options:
  _input:
    description: The rules, as P(dualstack.kubernetes.ipv6_masquerade_rules#filter) returns them.
    type: list
    elements: dict
    required: true
  chain:
    description: The dedicated chain.
    type: str
    default: DUALSTACK-MASQ6
  jump:
    description: Add the jump from C(POSTROUTING) (leave it out when the node has it already).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: The file restored at boot
  ansible.builtin.copy:
    dest: /etc/dualstack/ip6tables-egress.rules
    content: "{{ egress_rules | dualstack.kubernetes.ipv6_masquerade_restore }}"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The ip6tables-restore input, newline-terminated.
  type: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.egress import MASQ6_CHAIN
from ansible_collections.dualstack.kubernetes.plugins.module_utils.ip6tables_restore import restore_text
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


def ipv6_masquerade_restore(rules, chain=MASQ6_CHAIN, jump=True):
    """dualstack.kubernetes.ipv6_masquerade_restore"""
    return restore_text(rules, chain, jump=bool(jump))


class FilterModule:
    """dualstack.kubernetes.ipv6_masquerade_restore"""

    def filters(self):
        return {"ipv6_masquerade_restore": as_filter("ipv6_masquerade_restore", ipv6_masquerade_restore)}
