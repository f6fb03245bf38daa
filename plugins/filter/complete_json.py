# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: complete_json
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Tell whether kubectl printed one whole JSON object
description:
  - True when the text is one JSON object, false when it is empty, cut or anything else.
  - A busy apiserver's answer can reach C(kubectl get -o json) cut while kubectl exits 0; a poll's C(until)
    checks this before C(from_json), so such a read counts as "not yet" instead of failing the task.
options:
  _input:
    description: The output of C(kubectl get ... -o json).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the Node until it is Ready
  ansible.builtin.command: kubectl get node web-1 -o json
  register: node
  until: node.rc == 0 and node.stdout | dualstack.kubernetes.complete_json and (node.stdout | from_json).status is defined
"""

RETURN = r"""
_value:
  description: Whether the text is one whole JSON object.
  type: bool
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.kubectl_read import complete_json
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.complete_json"""

    def filters(self):
        return {"complete_json": as_filter("complete_json", complete_json)}
