# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The record of a Node kept across re-registration, and the Node created from it."""

from __future__ import annotations

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_record import node_record, registered_node

NODE = {
    "apiVersion": "v1", "kind": "Node",
    "metadata": {"name": "w1", "uid": "u-1", "resourceVersion": "7",
                 "labels": {"kubernetes.io/hostname": "w1", "team": "storage"},
                 "annotations": {"flannel.alpha.coreos.com/public-ip": "192.168.77.21", "note": "keep"}},
    "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"], "unschedulable": True,
             "providerID": "aws:///eu-west-1a/i-0abc",
             "taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"},
                        {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": "x"}]},
    "status": {"capacity": {"cpu": "2", "pods": "110"}, "allocatable": {"cpu": "2", "pods": "110"},
               "addresses": [{"type": "InternalIP", "address": "192.168.77.21"}]},
}
RESOURCES = {"cpu": "2", "pods": "110"}


def test_record_keeps_user_state_only():
    record = node_record(NODE)
    assert record == {"uid": "u-1", "labels": NODE["metadata"]["labels"], "annotations": NODE["metadata"]["annotations"],
                      "capacity": RESOURCES, "allocatable": RESOURCES,
                      "taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}],
                      "unschedulable": True, "pod_cidrs": ["10.244.1.0/24"],
                      "provider_id": "aws:///eu-west-1a/i-0abc", "csi_drivers": []}
    # A CNI agent's own annotations are left to the agent (flannel writes them again when it restarts).
    assert node_record(NODE, "flannel.alpha.coreos.com/")["annotations"] == {"note": "keep"}
    assert node_record({"metadata": {"name": "x"}, "spec": {"podCIDR": "10.244.9.0/24"}})["pod_cidrs"] == ["10.244.9.0/24"]
    # The CSI drivers the node's CSINode lists, to wait for after re-registration.
    drivers = [{"name": "hostpath.csi.k8s.io", "nodeID": "w1"}, {"name": "ebs.csi.aws.com", "nodeID": "i-0abc"}]
    csinode = {"kind": "CSINode", "spec": {"drivers": drivers}}
    assert node_record(NODE, "", csinode)["csi_drivers"] == ["ebs.csi.aws.com", "hostpath.csi.k8s.io"]


def test_registered_node_is_cordoned_with_the_metadata_and_no_pod_cidr():
    node = registered_node("w1", node_record(NODE))
    assert node == {"apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": "w1", "labels": NODE["metadata"]["labels"],
                                 "annotations": NODE["metadata"]["annotations"]},
                    # providerID is immutable once set: the Node is created with it
                    "spec": {"unschedulable": True, "providerID": "aws:///eu-west-1a/i-0abc",
                             "taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]},
                    # the kubelet admits its static Pods against this before it reports its own status
                    "status": {"capacity": RESOURCES, "allocatable": RESOURCES}}
    assert registered_node("w2", {})["spec"] == {"unschedulable": True}
