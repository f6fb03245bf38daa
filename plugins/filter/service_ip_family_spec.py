# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: service_ip_family_spec
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: The Service spec fields that request IP families, for the cluster's Service API
description:
  - Returns a dict to merge into a Service C(spec).
  - >-
    For 1.16 to 1.19 (the alpha Service API) one family gives C({ipFamily: X}); two families fail, since such a
    Service has a single family.
  - >-
    For 1.20 and newer one family gives C({ipFamilyPolicy: SingleStack, ipFamilies: [X]}) and two give
    C({ipFamilyPolicy: RequireDualStack, ipFamilies: [X, Y]}) in the order given; O(policy) overrides the policy.
  - Versions below 1.16 fail.
options:
  _input:
    description: One or two of C(IPv4) and C(IPv6), as a list or a comma-separated string, in any case.
    type: raw
    required: true
  kube_version:
    description: The cluster's Kubernetes version.
    type: str
    required: true
  policy:
    description:
      - Overrides the C(ipFamilyPolicy) (1.20+ only); any case.
      - V(SingleStack) with two families fails, as the apiserver would.
    type: str
    choices: [SingleStack, PreferDualStack, RequireDualStack]
"""

EXAMPLES = r"""
- name: A dual-stack Service, IPv6 first
  ansible.builtin.debug:
    msg: "{{ {'selector': {'app': 'web'}} | combine(['IPv6', 'IPv4'] | dualstack.kubernetes.service_ip_family_spec('1.30')) }}"
  # => {selector: {app: web}, ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv6, IPv4]}

- name: Prefer dual-stack where the cluster has it
  ansible.builtin.debug:
    msg: "{{ 'ipv4,ipv6' | dualstack.kubernetes.service_ip_family_spec('v1.33.1', policy='PreferDualStack') }}"

- name: The 1.16-1.19 alpha API
  ansible.builtin.debug:
    msg: "{{ 'IPv6' | dualstack.kubernetes.service_ip_family_spec('1.18') }}"
  # => {ipFamily: IPv6}
"""

RETURN = r"""
_value:
  description: >-
    C(ipFamily) (1.16-1.19) or C(ipFamilyPolicy) and C(ipFamilies) (1.20+).
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.services import service_ip_family_spec
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.service_ip_family_spec"""

    def filters(self):
        return {"service_ip_family_spec": as_filter("service_ip_family_spec", service_ip_family_spec)}
