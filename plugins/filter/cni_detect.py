# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: cni_detect
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Which CNI runs, and whether this collection can convert it to dual-stack
description:
  - >-
    Decides, once and before any change, which CNI the cluster runs: from its agents' container images (the
    registry ignored; the DaemonSet name as a fallback; a DaemonSet that mounts flannel's C(net-conf.json) is flannel
    whatever its name) and from every node's CNI configuration (the first file of C(/etc/cni/net.d), the one the
    container runtime uses). Nodes must agree.
  - >-
    Converts flannel (its DaemonSet and ConfigMap), Calico installed from its manifest (calico-node next to the
    C(calico-config) ConfigMap) and the C(bridge) plugin fed from node podCIDRs by a host agent. Whether nodes are
    re-registered comes from the IPAM (C(reregister_nodes)); an unknown IPAM is refused, never re-registered by
    default.
  - >-
    Refuses, naming what was seen, the upstream procedure and the override: Cilium (any IPAM mode), Weave Net, Antrea,
    kube-router, Canal, kindnet, OVN-Kubernetes, Multus, an unknown CNI, several CNI agents at once, nodes that
    disagree, a node without CNI configuration, an operator-managed Calico, a flannel backend other than vxlan,
    host-gw or wireguard, a flannel C(IPv6Network) or C(Network) other than the target's, and a declared CNI that
    contradicts the detected one. All problems are reported together, one line each (the input, what is wrong, the
    fix).
  - O(declared=external) with O(reregister) means "I convert the CNI myself"; the detection is then only reported.
options:
  _input:
    description:
      - The DaemonSets, each C({namespace, name, images, configmaps, selector}) (images of all containers, names of the
        pod template's ConfigMap volumes, C(spec.selector.matchLabels)), as the dualstack.kubernetes.daemonset_summaries
        filter parses them from C(kubectl get ds -A -o jsonpath).
    type: list
    elements: dict
    required: true
  configmaps:
    description:
      - The CNI ConfigMaps as C(kubectl get -o json) prints them (one, a list, or a C(List)) - flannel's (the one its
        DaemonSet mounts, default C(kube-flannel-cfg)), C(calico-config), C(cilium-config), C(canal-config).
    type: raw
  node_configs:
    description: Host -> the parsed CNI configuration documents (C(.conf)/C(.conflist)) of that node, in file-name order.
    type: dict
  declared:
    description: C(dualstack_cni).
    type: str
    choices: [auto, flannel, calico, bridge, external]
    default: auto
  reregister:
    description: C(dualstack_cni_reregister) - required with O(declared=external), read only then.
    type: bool
  pod_cidrs:
    description:
      - The target pod ranges (list or comma-separated, IPv4 first) for flannel's checks; omit on the way back.
    type: raw
"""

EXAMPLES = r"""
- name: Decide which CNI to convert and whether nodes are re-registered
  ansible.builtin.set_fact:
    preflight_cni: >-
      {{ preflight_daemonsets | dualstack.kubernetes.cni_detect(configmaps=preflight_cni_configmaps,
         node_configs=preflight_node_cni_configs, declared=dualstack_cni | default('auto'),
         reregister=dualstack_cni_reregister | default(none), pod_cidrs=dualstack_pod_cidrs) }}
"""

RETURN = r"""
_value:
  description: What was detected and how it is converted.
  type: dict
  contains:
    name:
      description: C(flannel), C(calico), C(bridge) or C(external).
      type: str
    ipam:
      description: The IPAM (C(flannel), C(calico-ipam), C(host-local), ...; C(external) when declared external).
      type: str
    reregister_nodes:
      description: Whether every node must be re-registered to get an IPv6 podCIDR (the IPAM reads node.spec.podCIDRs).
      type: bool
    namespace:
      description: Namespace of the CNI agent, or null.
      type: str
    daemonset:
      description: The CNI agent's DaemonSet, or null.
      type: str
    configmap:
      description: The CNI's ConfigMap (flannel's, or C(calico-config)), or null.
      type: str
    agent_labels:
      description: The labels of the agent's pods (its DaemonSet's C(spec.selector.matchLabels)); empty without an agent.
      type: dict
    agent_annotations:
      description: >-
        Prefix of the Node annotations the agent writes itself when it starts (flannel
        C(flannel.alpha.coreos.com/)); they are not restored on a re-registered Node. Empty for other CNIs.
      type: str
    restart_agent_per_node:
      description: Whether the agent's pod must be restarted on each node after its re-registration (flannel).
      type: bool
    evidence:
      description: What was seen, one short string each.
      type: list
      elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_detect import detect_cni
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.cni_detect"""

    def filters(self):
        return {"cni_detect": as_filter("cni_detect", detect_cni)}
