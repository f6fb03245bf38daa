# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: netexec_dial_path
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The apiserver path asking a pod's agnhost netexec to dial an address
description:
  - Returns C(/api/v1/namespaces/<ns>/pods/<pod>:<pod_port>/proxy/dial?request=...&protocol=...&host=...&port=...&tries=...),
    for C(kubectl get --raw), the way upstream e2e probes pod to pod and pod to Service.
  - The source pod's netexec makes the request; the apiserver only carries the question and the answer.
options:
  _input:
    description: The namespace of the source pod.
    type: str
    required: true
  pod:
    description: The source pod's name.
    type: str
    required: true
  pod_port:
    description: The port the source pod's netexec serves HTTP on.
    type: int
    required: true
  host:
    description: The address to dial (IPv6 without brackets).
    type: str
    required: true
  port:
    description: The port to dial.
    type: int
    required: true
  protocol:
    description: C(http) or C(udp).
    type: str
    default: http
  request:
    description: What to ask the target (C(hostname), C(clientip), ...).
    type: str
    default: hostname
  tries:
    description: How many requests netexec makes.
    type: int
    default: 1
"""

EXAMPLES = r"""
- name: Pod a asks pod b's name over IPv6
  ansible.builtin.command:
    argv: [kubectl, get, --raw, "{{ 'ns' | dualstack.kubernetes.netexec_dial_path('a', 8080, 'fd00:10:244:1::5', 8080) }}"]
"""

RETURN = r"""
_value:
  description: An apiserver path with its query.
  type: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.agnhost import netexec_dial_path
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.netexec_dial_path"""

    def filters(self):
        return {"netexec_dial_path": as_filter("netexec_dial_path", netexec_dial_path)}
