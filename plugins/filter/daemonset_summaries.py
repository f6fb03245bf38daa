# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: daemonset_summaries
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Parse DaemonSet summaries printed by kubectl jsonpath
description:
  - >-
    Parses the lines of C(kubectl get daemonsets -A -o jsonpath=...) that the preflight role prints: one line per
    DaemonSet, tab-separated namespace, name, images (space-separated), names of ConfigMap volumes (space-separated)
    and C(spec.selector.matchLabels) as JSON. Only these fields are read, so that no container environment (which
    may hold credentials) reaches a log.
  - The result is the O(dualstack.kubernetes.cni_detect#filter:daemonsets) input of the cni_detect filter.
options:
  _input:
    description: The kubectl output.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Summarise the DaemonSets
  ansible.builtin.set_fact:
    daemonsets: "{{ kubectl_out.stdout | dualstack.kubernetes.daemonset_summaries }}"
"""

RETURN = r"""
_value:
  description: One dict per DaemonSet with namespace, name, images, configmaps and selector.
  type: list
  elements: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_detect import daemonset_summaries
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.daemonset_summaries"""

    def filters(self):
        return {"daemonset_summaries": as_filter("daemonset_summaries", daemonset_summaries)}
