# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: flannel_dualstack
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Turn on IPv6 in flannel's kube-flannel-cfg ConfigMap
description:
  - Takes the C(kube-flannel-cfg) ConfigMap as C(kubectl get configmap -o json) prints it (parsed with
    C(from_json)) and returns a copy whose C(net-conf.json) has C(EnableIPv6) V(true) and C(IPv6Network)
    set to the cluster's IPv6 pod range.
  - The new keys follow C(Network); every other key (C(Backend), C(EnableNFTables), ...) and their order are kept,
    and the JSON keeps its indentation and trailing newline.
  - An object that already has both keys right is returned unchanged, text included, so applying the result
    only when it differs from the input is idempotent.
  - Flannel's kube subnet manager takes each node's subnets from C(node.spec.podCIDRs), so existing nodes only
    get IPv6 pod addresses after they are re-registered (see P(dualstack.kubernetes.cni_ipam#filter)).
  - >-
    Fails, naming the value, the rule and the fix, when C(Network) is not the cluster's primary (first) pod range,
    when C(IPv6Network) is already set to another range, when the backend carries IPv4 only (C(udp), C(ipip)),
    when flannel is IPv6-only (C(EnableIPv4) false), or when the object is not the flannel ConfigMap.
options:
  _input:
    description: The kube-flannel-cfg ConfigMap (namespace C(kube-flannel), or C(kube-system) in manifests before v0.20).
    type: dict
    required: true
  pod_cidrs:
    description:
      - The cluster's pod ranges after conversion, the existing IPv4 range first, then the IPv6 range
        (list or comma-separated string).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read flannel's configuration
  ansible.builtin.command: kubectl -n kube-flannel get configmap kube-flannel-cfg -o json
  register: flannel_cfg
  changed_when: false

- name: Compute the dual-stack configuration
  ansible.builtin.set_fact:
    flannel_cfg_new: "{{ flannel_cfg.stdout | from_json
                         | dualstack.kubernetes.flannel_dualstack(pod_cidrs=['10.244.0.0/16', 'fd00:10:244::/56']) }}"
  # net-conf.json becomes
  # {"Network": "10.244.0.0/16", "IPv6Network": "fd00:10:244::/56", "EnableIPv6": true, "Backend": {"Type": "vxlan"}}
"""

RETURN = r"""
_value:
  description: A copy of the ConfigMap with the dual-stack C(net-conf.json); equal to the input when nothing was missing.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flannel import flannel_dualstack
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.flannel_dualstack"""

    def filters(self):
        return {"flannel_dualstack": as_filter("flannel_dualstack", flannel_dualstack)}
