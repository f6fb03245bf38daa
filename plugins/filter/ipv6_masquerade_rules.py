# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: ipv6_masquerade_rules
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: ip6tables NAT rules that masquerade IPv6 pod traffic leaving the cluster
description:
  - For a plain bridge CNI without ip-masq-agent (or a CNI that masquerades IPv4 only), returns the
    C(ip6tables -t nat) rules, in order, that masquerade IPv6 pod traffic leaving the pod range.
  - Each item is C({chain, rule}) where C(rule) is the argument list after the chain name, ready for
    C(ip6tables -t nat -C <chain> <rule...>) and C(-A). The first rule jumps from C(POSTROUTING) to the dedicated
    chain for traffic from the IPv6 pod range; in that chain the IPv6 Service range and O(nonmasq_cidrs) RETURN,
    then C(-s <pod range> ! -d <pod range> -j MASQUERADE).
  - Only the IPv6 ranges are used (an IPv4 Service range given in O(service_cidrs) is ignored).
options:
  _input:
    description: The cluster's pod ranges after conversion, the existing IPv4 range first, then the IPv6 range.
    type: raw
    required: true
  service_cidrs:
    description: The cluster's Service ranges; the IPv6 one is excluded from masquerading.
    type: raw
  chain:
    description: The dedicated nat chain (at most 28 characters; not a built-in chain).
    type: str
    default: DUALSTACK-MASQ6
  nonmasq_cidrs:
    description: Further IPv6 destinations that keep the pod address (e.g. the node network).
    type: raw
"""

EXAMPLES = r"""
- name: Rules for the nodes
  ansible.builtin.set_fact:
    masq6_rules: "{{ '10.244.0.0/16,fd00:10:244::/56'
                     | dualstack.kubernetes.ipv6_masquerade_rules(service_cidrs='10.96.0.0/16,fd00:10:96::/112') }}"
  # [{"chain": "POSTROUTING", "rule": ["-s", "fd00:10:244::/56", "-m", "comment", "--comment",
  #   "dualstack.kubernetes: masquerade IPv6 pod egress", "-j", "DUALSTACK-MASQ6"]},
  #  {"chain": "DUALSTACK-MASQ6", "rule": ["-d", "fd00:10:96::/112", "-j", "RETURN"]},
  #  {"chain": "DUALSTACK-MASQ6", "rule": ["-s", "fd00:10:244::/56", "!", "-d", "fd00:10:244::/56", "-j", "MASQUERADE"]}]
"""

RETURN = r"""
_value:
  description: The rules in the order they must be appended.
  type: list
  elements: dict
  contains:
    chain:
      description: The nat chain the rule belongs to.
      type: str
    rule:
      description: The rule specification after the chain name.
      type: list
      elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.egress import ipv6_masquerade_rules
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.ipv6_masquerade_rules"""

    def filters(self):
        return {"ipv6_masquerade_rules": as_filter("ipv6_masquerade_rules", ipv6_masquerade_rules)}
