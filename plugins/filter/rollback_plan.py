# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: rollback_plan
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Validate that a running dual-stack cluster can go back to single-stack, and compute the flags
description:
  - >-
    Takes no target: the primary family of the running cluster (the first range of C(--cluster-cidr) and
    C(--service-cluster-ip-range), which must agree on every control plane) is kept exactly, the secondary
    family is dropped.
  - >-
    Fails when a Service has the dropped family first (its C(spec.clusterIPs[0]) cannot change in place), naming
    the Services, so that nothing changes on any host.
  - >-
    Lists the Services still dual-stack (they go back to C(SingleStack) first, KEP-563's rollback order) and the
    Nodes that hold a second podCIDR; while such Nodes exist a single-stack kube-controller-manager does not start
    (C(has an allocated cidr ... that does not exist in cluster cidrs configuration)), so node IPAM is paused with
    C(--controllers=...,-nodeipam) while they re-register, each keeping its primary podCIDR.
  - The result has the shape of P(dualstack.kubernetes.conversion_plan#filter)'s, so the same roles apply it.
extends_documentation_fragment:
  - dualstack.kubernetes.nodes_batch
options:
  _input:
    description:
      - What preflight read from the running cluster. Keys - C(service_cidrs), C(pod_cidrs), C(controllers)
        (control-plane host to the kube-apiserver / kube-controller-manager flag value), C(node_ips) (host to the
        kubelet's C(--node-ip)), C(node_objects) and C(services) (the Node and Service objects as
        C(kubectl get -o json) items), C(hosts) (the inventory's nodes).
    type: dict
    required: true
  kube_version:
    description: The cluster's Kubernetes version.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Plan the way back to IPv4 only
  ansible.builtin.debug:
    msg: >-
      {{ {'service_cidrs': {'cp1': '10.96.0.0/16,fd00:10:96::/112'},
          'pod_cidrs': {'cp1': '10.244.0.0/16,fd00:10:244::/56'},
          'node_ips': {'cp1': '192.168.77.11,fd00:77::11'}}
         | dualstack.kubernetes.rollback_plan(kube_version='v1.34.12') }}
"""

RETURN = r"""
_value:
  description: >-
    The plan: C(mode=rollback), C(kube_version), C(families) (the kept one), C(dropped_family), C(pod_cidrs),
    C(service_cidrs), the flags per component (C(kube-apiserver), C(kube-controller-manager), C(kube-proxy)) and
    per node (C(kubelet)), C(services_to_downgrade), C(nodes_to_reregister), C(pause_node_ipam),
    C(controllers) (C(hold) and C(final) values of C(--controllers)), and C(summary), printable lines.
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.rollback import rollback_plan
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.rollback_plan"""

    def filters(self):
        return {"rollback_plan": as_filter("rollback_plan", rollback_plan)}
