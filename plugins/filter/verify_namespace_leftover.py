# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: verify_namespace_leftover
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Tell what to do with the verify role's test namespace left by an earlier run
description:
  - Returns C(absent) (no such namespace), C(wait) (its deletion is under way) or C(delete) (a leftover of
    the verify role, which carries all of O(labels)).
  - Fails, naming the missing labels, when a namespace of that name exists without them (someone else's).
options:
  _input:
    description: The output of C(kubectl get namespace NAME -o json --ignore-not-found) (empty when absent), or the object.
    type: raw
    required: true
  name:
    description: The namespace's name (for the messages).
    type: str
    required: true
  labels:
    description: The labels the verify role puts on its namespace.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Decide
  ansible.builtin.set_fact:
    action: "{{ read.stdout | dualstack.kubernetes.verify_namespace_leftover('dualstack-verify', {'app.kubernetes.io/name': 'dualstack-verify'}) }}"
"""

RETURN = r"""
_value:
  description: C(absent), C(wait) or C(delete).
  type: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.verify_namespace import leftover_namespace_action
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.verify_namespace_leftover"""

    def filters(self):
        return {"verify_namespace_leftover": as_filter("verify_namespace_leftover", leftover_namespace_action)}
