# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: error_lines
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The lines of a Kubernetes component's log that say why it failed
description:
  - Returns the last O(keep) klog error lines (C(E1204 ...), C(F1204 ...)), C(Error:) lines, C(err="...") or
    C("command failed") lines of a log; the last O(keep) lines when none is an error.
options:
  _input:
    description: The log, as a list of lines or one text (e.g. C(journalctl -u kubelet -o cat)).
    type: raw
    required: true
  keep:
    description: How many lines to return.
    type: int
    default: 3
"""

EXAMPLES = r"""
- name: Quote why the kubelet stopped
  ansible.builtin.debug:
    msg: "{{ kubelet_journal.stdout_lines | dualstack.kubernetes.error_lines }}"
"""

RETURN = r"""
_value:
  description: The chosen lines, oldest first.
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.journal import error_lines
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.error_lines"""

    def filters(self):
        return {"error_lines": as_filter("error_lines", error_lines)}
