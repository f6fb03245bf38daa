# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: node_record_patch
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The ConfigMap merge patch that stores a Node's record, dated
description:
  - >-
    Returns C({data: {<node>_<uid>: <JSON of node, uid, recorded, record>}}) for C(kubectl patch --type merge).
options:
  _input:
    description: The Node's name.
    type: str
    required: true
  record:
    description: What dualstack.kubernetes.node_record kept.
    type: dict
    required: true
  recorded:
    description: When (RFC 3339, UTC).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Use it
  ansible.builtin.debug:
    msg: "{{ 'w1' | dualstack.kubernetes.node_record_patch(record, now(utc=true).strftime('%Y-%m-%dT%H:%M:%SZ')) | to_json }}"
"""

RETURN = r"""
_value:
  description: A merge patch.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_record_store import record_patch
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.node_record_patch"""

    def filters(self):
        return {"node_record_patch": as_filter("node_record_patch", record_patch)}
