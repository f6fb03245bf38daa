# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: netexec_dial_result
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Parse agnhost netexec's /dial answer
description:
  - Returns C({responses, errors}), both lists of strings.
  - Text that is not netexec's JSON object (an apiserver error, nothing) becomes one error holding it.
options:
  _input:
    description: The body of the C(/dial) answer.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Did the target answer with its name?
  ansible.builtin.debug:
    msg: "{{ 'web-1' in (probe.stdout | dualstack.kubernetes.netexec_dial_result).responses }}"
"""

RETURN = r"""
_value:
  description: C(responses) and C(errors).
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.agnhost import netexec_dial_result
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.netexec_dial_result"""

    def filters(self):
        return {"netexec_dial_result": as_filter("netexec_dial_result", netexec_dial_result)}
