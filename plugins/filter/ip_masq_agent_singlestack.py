# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_masq_agent_singlestack
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Stop ip-masq-agent from programming IPv6 rules (the way back)
description:
  - Takes the C(ip-masq-agent) DaemonSet or ConfigMap as C(kubectl get -o json) prints it (parsed with C(from_json)),
    or a list of them, and returns them single-stack (a list for a list). The reverse of
    P(dualstack.kubernetes.ip_masq_agent_dualstack#filter).
  - DaemonSet - every C(--enable-ipv6) argument is removed from the agent's container C(args); the agent's default is
    false, so it then writes no ip6tables rules.
  - ConfigMap - returned unchanged. With IPv6 off the agent leaves the IPv6 entries of C(nonMasqueradeCIDRs) out of
    its rules, and a later conversion finds them in place.
options:
  _input:
    description: The ip-masq-agent DaemonSet, its ConfigMap, or a list of them.
    type: raw
    required: true
  container:
    description: Name of the agent's container in the DaemonSet (the only container is used when none has this name).
    type: str
    default: ip-masq-agent
"""

EXAMPLES = r"""
- name: The agent without IPv6
  ansible.builtin.set_fact:
    masq_ds_new: "{{ masq_daemonset | dualstack.kubernetes.ip_masq_agent_singlestack }}"
"""

RETURN = r"""
_value:
  description: The transformed object (a list of them for a list input); equal to the input when IPv6 was already off.
  type: raw
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.egress import ip_masq_agent_singlestack
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.ip_masq_agent_singlestack"""

    def filters(self):
        return {"ip_masq_agent_singlestack": as_filter("ip_masq_agent_singlestack", ip_masq_agent_singlestack)}
