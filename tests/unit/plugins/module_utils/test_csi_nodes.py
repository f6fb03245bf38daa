# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""CSI node plugins restarted after re-registration, and CSINode waited for."""

from __future__ import annotations

from ansible_collections.dualstack.kubernetes.plugins.module_utils.csi_nodes import csi_node_plugin_pods, csinode_state

REGISTERED = "2026-12-05T10:00:00Z"


def pod(name, created, volumes=(), deleting=False, namespace="kube-system"):
    meta = {"name": name, "namespace": namespace, "creationTimestamp": created}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-05T10:00:05Z"
    return {"kind": "Pod", "metadata": meta, "spec": {"volumes": [{"name": "v%d" % i, **v} for i, v in enumerate(volumes)]}}


REGISTRY = {"hostPath": {"path": "/var/lib/kubelet/plugins_registry/", "type": "Directory"}}
CUSTOM_ROOT = {"hostPath": {"path": "/data/kubelet/plugins_registry"}}


def test_plugin_pods_mount_the_registration_directory_and_predate_the_node():
    pods = {"kind": "PodList", "items": [
        pod("csi-hostpath-node-x", "2026-12-05T09:00:00Z", [REGISTRY, {"hostPath": {"path": "/var/lib/kubelet"}}]),
        pod("ebs-csi-node-y", "2026-12-05T09:00:00Z", [CUSTOM_ROOT]),
        pod("kube-proxy-z", "2026-12-05T09:00:00Z", [{"hostPath": {"path": "/lib/modules"}}, {"configMap": {"name": "kp"}}]),
        pod("csi-new", "2026-12-05T10:00:01Z", [REGISTRY]),             # started after the new Node: registers by itself
        pod("csi-going", "2026-12-05T09:00:00Z", [REGISTRY], deleting=True),
        pod("plugins-dir", "2026-12-05T09:00:00Z", [{"hostPath": {"path": "/var/lib/kubelet/plugins"}}]),
    ]}
    assert csi_node_plugin_pods(pods, REGISTERED) == [
        {"namespace": "kube-system", "name": "csi-hostpath-node-x"}, {"namespace": "kube-system", "name": "ebs-csi-node-y"}]
    assert csi_node_plugin_pods([], REGISTERED) == []


def csinode(owner_uid, drivers):
    return {"kind": "CSINode", "metadata": {"name": "w1", "ownerReferences": [
        {"apiVersion": "v1", "kind": "Node", "name": "w1", "uid": owner_uid}]},
        "spec": {"drivers": [{"name": d, "nodeID": "w1"} for d in drivers]}}


def test_csinode_state_through_the_re_registration():
    drivers = ["ebs.csi.aws.com", "hostpath.csi.k8s.io"]
    # Still the deleted Node's: wait for the garbage collector before restarting the plugins.
    assert csinode_state(csinode("old", drivers), "new", drivers) == {"stale": True, "missing": drivers}
    # Gone: nothing listed yet.
    assert csinode_state({}, "new", drivers) == {"stale": False, "missing": drivers}
    # Created again by the kubelet, one plugin registered.
    assert csinode_state(csinode("new", ["hostpath.csi.k8s.io"]), "new", drivers) == {
        "stale": False, "missing": ["ebs.csi.aws.com"]}
    assert csinode_state(csinode("new", drivers + ["extra.csi"]), "new", drivers) == {"stale": False, "missing": []}
    # A node without CSI drivers has nothing to wait for.
    assert csinode_state(csinode("old", []), "new", []) == {"stale": True, "missing": []}
    assert csinode_state(None, "new", None) == {"stale": False, "missing": []}
