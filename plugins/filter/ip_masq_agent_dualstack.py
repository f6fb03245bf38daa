# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: ip_masq_agent_dualstack
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Make ip-masq-agent masquerade IPv6 pod egress too
description:
  - Takes the C(ip-masq-agent) ConfigMap or DaemonSet as C(kubectl get -o json) prints it (parsed with C(from_json)),
    or a list of them, and returns the dual-stack version (a list for a list).
  - ConfigMap - the YAML (or JSON) under key C(config) gets both pod ranges, and any O(nonmasq_cidrs), in
    C(nonMasqueradeCIDRs); existing entries are kept first, every entry is written in canonical form, duplicates are
    dropped. Without C(nonMasqueradeCIDRs) the agent falls back to RFC 1918 ranges, so the list is seeded with them
    (or every reserved range with O(nomasq_all_reserved_ranges)) to keep IPv4 egress as it was.
    Fails when the list would exceed C(cidrLimit) (default 64).
  - DaemonSet - the agent's container gets C(--enable-ipv6=true) in C(args) (replacing any other C(--enable-ipv6)),
    without which the agent programs no ip6tables rules at all.
  - Objects that already have all of this are returned unchanged.
options:
  _input:
    description: The ip-masq-agent ConfigMap, its DaemonSet, or a list of them.
    type: raw
    required: true
  pod_cidrs:
    description: The cluster's pod ranges after conversion, the existing IPv4 range first, then the IPv6 range.
    type: raw
    required: true
  nonmasq_cidrs:
    description: Further ranges (either family) whose traffic must keep the pod address, e.g. the node networks.
    type: raw
  container:
    description: Name of the agent's container in the DaemonSet (the only container is used when none has this name).
    type: str
    default: ip-masq-agent
  nomasq_all_reserved_ranges:
    description: Seed an absent C(nonMasqueradeCIDRs) with every reserved IPv4 range, as the agent's
      C(--nomasq-all-reserved-ranges) flag does, instead of RFC 1918 only.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Dual-stack ip-masq-agent objects
  ansible.builtin.set_fact:
    masq_new: "{{ [masq_configmap, masq_daemonset]
                  | dualstack.kubernetes.ip_masq_agent_dualstack(pod_cidrs=['10.244.0.0/16', 'fd00:10:244::/56']) }}"
"""

RETURN = r"""
_value:
  description: The transformed object (a list of them for a list input); equal to the input when nothing was missing.
  type: raw
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.egress import ip_masq_agent_dualstack
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.ip_masq_agent_dualstack"""

    def filters(self):
        return {"ip_masq_agent_dualstack": as_filter("ip_masq_agent_dualstack", ip_masq_agent_dualstack)}
