# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: default_service_cidr_check
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Whether the default ServiceCIDR lists the plan's Service ranges and is Ready, and its warnings
description:
  - >-
    Kubernetes 1.33+ keeps the Service ranges in the ServiceCIDR C(kubernetes), widened by the first dual-stack
    kube-apiserver; a failure only shows as a C(KubernetesDefaultServiceCIDRError) or
    C(KubernetesDefaultServiceCIDRInconsistent) Warning event on it, never in C(/readyz).
options:
  _input:
    description: C(kubectl get servicecidr kubernetes -o json), or empty when absent.
    type: raw
    required: true
  wanted:
    description: The plan's Service ranges, primary first.
    type: list
    elements: str
    required: true
  events:
    description: C(kubectl get events) of the object (the List or its items).
    type: raw
  started:
    description: When the run started; error events from then on are problems.
    type: str
  settled:
    description: When the last kube-apiserver came back; inconsistency events from then on are problems.
    type: str
"""

EXAMPLES = r"""
- name: Check the default ServiceCIDR
  ansible.builtin.debug:
    msg: "{{ scidr.stdout | from_json | dualstack.kubernetes.default_service_cidr_check(['10.96.0.0/16', 'fd00:10:96::/112']) }}"
"""

RETURN = r"""
_value:
  description: C(ready) (a bool), C(message) (where it stands) and C(problems) (warning events, as lines).
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.service_cidr import default_service_cidr_check
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.default_service_cidr_check"""

    def filters(self):
        return {"default_service_cidr_check": as_filter("default_service_cidr_check", default_service_cidr_check)}
