# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""CSI node plugins across a Node's re-registration.

The kubelet creates ``CSINode/<node>`` with an owner reference to its Node (UID included) and adds
a driver when that driver's node plugin registers through the kubelet's plugin registration
socket directory (``<kubelet root>/plugins_registry``, watched by node-driver-registrar's pod).
When the Node is deleted, the garbage collector deletes the ``CSINode`` of the old UID, and no
driver is listed again until its node plugin registers again: volumes of that driver cannot be
attached or mounted on the node meanwhile. So the node plugins are restarted once the new Node is
Ready, and the run waits until ``CSINode/<node>``, owned by the new Node, lists every driver it
listed before.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_pods import pods_before

#: The directory, under the kubelet's root directory, where node plugins register.
REGISTRATION_DIR = "plugins_registry"


def csi_node_plugin_pods(pods: Any, registered: Any) -> List[Dict[str, str]]:
    """``{namespace, name}`` of the node's CSI node plugin pods created before ``registered``.

    A CSI node plugin pod is one that mounts the kubelet's plugin registration directory (a
    ``hostPath`` whose last element is ``plugins_registry``), where node-driver-registrar puts
    its socket. ``registered`` is the new Node's ``metadata.creationTimestamp``; pods being deleted
    are skipped.
    """
    out = []
    for meta, spec in pods_before(pods, registered, "csi_node_plugin_pods"):
        paths = [str((v.get("hostPath") or {}).get("path", "")).rstrip("/") for v in spec.get("volumes") or []]
        if any(p.rsplit("/", 1)[-1] == REGISTRATION_DIR for p in paths):
            out.append({"namespace": meta.get("namespace", "default"), "name": meta["name"]})
    return out


def _node_owners(csinode: Mapping[str, Any]) -> List[str]:
    return [str(o.get("uid")) for o in (csinode.get("metadata") or {}).get("ownerReferences") or [] if o.get("kind") == "Node"]


def csinode_state(csinode: Any, node_uid: str, drivers: Any) -> Dict[str, Any]:
    """Where ``CSINode/<node>`` stands after the Node was registered again with UID ``node_uid``.

    ``csinode``: ``kubectl get csinode <node> -o json`` (empty when absent). Returns ``stale``: it is
    still the deleted Node's (the garbage collector removes it; node plugins restarted before that
    would register into the object about to go), and ``missing``: the drivers of ``drivers`` it does
    not list for the new Node (all of them while it is absent or stale).
    """
    wanted = sorted(str(d) for d in drivers or [])
    if not isinstance(csinode, Mapping) or not csinode:
        return {"stale": False, "missing": wanted}
    owners = _node_owners(csinode)
    if owners != [str(node_uid)]:
        return {"stale": bool(owners) and str(node_uid) not in owners, "missing": wanted}
    listed = {str(d.get("name")) for d in (csinode.get("spec") or {}).get("drivers") or []}
    return {"stale": False, "missing": [d for d in wanted if d not in listed]}
