# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: feature_gates
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: The --feature-gates value with IPv6DualStack as a Kubernetes version needs it
description:
  - Returns the C(--feature-gates) string (C(Name=true,Other=false)), keeping the order of O(_input),
    with lower-case booleans; an empty string when nothing is left.
  - For 1.16 to 1.20 it ensures C(IPv6DualStack=true) (the gate is alpha and off by default there),
    replacing C(false) and appending it when absent.
  - >-
    For 1.21 to 1.24 it replaces C(IPv6DualStack=false) with C(true) and adds nothing (on by default;
    locked on from 1.23, where C(false) stops the component with C(cannot set feature gate ... feature is locked)).
  - >-
    For 1.25 and newer it removes any C(IPv6DualStack) entry. The gate was removed and a component given it
    exits with C(unrecognized feature gate: IPv6DualStack).
  - Versions below 1.16 have no dual-stack and fail. A name given twice keeps its last value, like the components do.
options:
  _input:
    description: The current gates, as a C(Name=true,Other=false) string, a dict of name to boolean, or empty.
    type: raw
    required: true
  kube_version:
    description: The component's Kubernetes version, as C(1.24), C(1.24.3), C(v1.24.3) or C(v1.30.0-rc.1).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Gates for a 1.19 kube-apiserver
  ansible.builtin.debug:
    msg: "{{ 'EndpointSlice=true' | dualstack.kubernetes.feature_gates('v1.19.16') }}"
  # => EndpointSlice=true,IPv6DualStack=true

- name: Strip the removed gate after an upgrade to 1.30
  ansible.builtin.debug:
    msg: "{{ {'IPv6DualStack': true, 'GracefulNodeShutdown': true} | dualstack.kubernetes.feature_gates('1.30') }}"
  # => GracefulNodeShutdown=true
"""

RETURN = r"""
_value:
  description: The C(--feature-gates) value; empty when no gate is left (then drop the flag).
  type: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.feature_gates import feature_gates
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.feature_gates"""

    def filters(self):
        return {"feature_gates": as_filter("feature_gates", feature_gates)}
