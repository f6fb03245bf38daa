# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: dns_records_check
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Check a Service name's A and AAAA answers
description:
  - Returns C({ok, detail}).
  - With O(cluster_ips) (a ClusterIP Service) each cluster family has exactly one record and together they equal the clusterIPs.
  - With O(pod_ips) (a headless Service) each cluster family has records, each a podIP.
  - Records of a family the cluster does not have fail.
options:
  _input:
    description: The addresses of the C(-type=a) lookup.
    type: list
    elements: str
    required: true
  aaaa_records:
    description: The addresses of the C(-type=aaaa) lookup.
    type: list
    elements: str
    required: true
  families:
    description: The cluster's families, e.g. C([IPv4, IPv6]).
    type: list
    elements: str
    required: true
  cluster_ips:
    description: The Service's clusterIPs (not with O(pod_ips)).
    type: list
    elements: str
  pod_ips:
    description: The podIPs of the Service's pods (not with O(cluster_ips)).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Check a dual-stack Service's records
  ansible.builtin.debug:
    msg: "{{ ['10.96.0.7'] | dualstack.kubernetes.dns_records_check(['fd00::7'], ['IPv4', 'IPv6'], cluster_ips=['10.96.0.7', 'fd00::7']) }}"
  # => {ok: true, detail: 'A 10.96.0.7; AAAA fd00::7'}
"""

RETURN = r"""
_value:
  description: C(ok) (bool) and C(detail) (str).
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.dns_records import dns_records_check
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.dns_records_check"""

    def filters(self):
        return {"dns_records_check": as_filter("dns_records_check", dns_records_check)}
