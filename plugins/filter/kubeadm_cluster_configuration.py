# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: kubeadm_cluster_configuration
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: kubeadm's ClusterConfiguration kept in step with the plan
description:
  - >-
    Returns the ClusterConfiguration (from the C(kube-system/kubeadm-config) ConfigMap) with C(networking.podSubnet)
    and C(serviceSubnet) set to the plan's ranges and the range, node mask and feature-gate C(extraArgs) of
    kube-apiserver and kube-controller-manager edited as the plan says (the legacy C(node-cidr-mask-size) removed, the
    per-family masks set). C(extraArgs) keep their form (v1beta3 map, v1beta4 list) and order.
options:
  _input:
    description: The ClusterConfiguration, parsed.
    type: dict
    required: true
  plan:
    description: The plan (dualstack.kubernetes.conversion_plan or rollback_plan).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The new ClusterConfiguration
  ansible.builtin.set_fact:
    config: "{{ cm.data.ClusterConfiguration | from_yaml | dualstack.kubernetes.kubeadm_cluster_configuration(plan) }}"
"""

RETURN = r"""
_value:
  description: The ClusterConfiguration.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.kubeadm_config import cluster_configuration
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.kubeadm_cluster_configuration"""

    def filters(self):
        return {"kubeadm_cluster_configuration": as_filter("kubeadm_cluster_configuration", cluster_configuration)}
