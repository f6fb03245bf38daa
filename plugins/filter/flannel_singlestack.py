# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: flannel_singlestack
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Turn IPv6 off in flannel's kube-flannel-cfg ConfigMap (the way back)
description:
  - Takes the C(kube-flannel-cfg) ConfigMap as C(kubectl get configmap -o json) prints it (parsed with
    C(from_json)) and returns a copy whose C(net-conf.json) has no C(EnableIPv6) and no C(IPv6Network);
    every other key, their order, the indentation and the trailing newline are kept.
  - The reverse of P(dualstack.kubernetes.flannel_dualstack#filter); an object without either key is returned
    unchanged, so applying the result only when it differs from the input is idempotent.
  - Run it before existing Nodes lose their IPv6 podCIDRs - flannel's kube subnet manager builds each node's lease
    from them.
  - Fails, naming the rule and the fix, when flannel has no IPv4 C(Network) (an IPv6-only flannel) or when the
    object is not the flannel ConfigMap.
options:
  _input:
    description: The kube-flannel-cfg ConfigMap (namespace C(kube-flannel), or C(kube-system) in manifests before v0.20).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Compute the single-stack configuration
  ansible.builtin.set_fact:
    flannel_cfg_new: "{{ flannel_cfg.stdout | from_json | dualstack.kubernetes.flannel_singlestack }}"
  # net-conf.json {"Network": "10.244.0.0/16", "IPv6Network": "fd00:10:244::/56", "EnableIPv6": true, ...}
  # becomes       {"Network": "10.244.0.0/16", ...}
"""

RETURN = r"""
_value:
  description: A copy of the ConfigMap with IPv6 off; equal to the input when it was already off.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flannel import flannel_singlestack
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.flannel_singlestack"""

    def filters(self):
        return {"flannel_singlestack": as_filter("flannel_singlestack", flannel_singlestack)}
