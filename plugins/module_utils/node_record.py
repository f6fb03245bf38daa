# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""What a Node keeps across its re-registration, and the Node object created before its kubelet restarts.

A Node's ``spec.podCIDRs`` cannot change ("node updates may not change podCIDR except from \\"\\" to
valid"), so a node gets a podCIDR of the new family only by being deleted and registered again.
What users put on it must survive: labels, annotations, taints (but the ones the node lifecycle
controller manages, ``node.kubernetes.io/*``), ``unschedulable`` (an operator's cordon) and
``providerID`` (immutable once set: "node updates may not change providerID except from \"\" to valid").

The Node is created again by the collection, with that metadata and ``unschedulable: true``,
before the kubelet restarts: the kubelet adopts an existing Node of its name (kubelet
``tryRegisterWithAPIServer``: on AlreadyExists it reconciles the existing object), so the Node is
never schedulable, untainted or unlabelled in between, and no pod lands on it before its CNI runs
with the new podCIDRs (review findings M3 and C2).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

#: Taints the node lifecycle controller sets and removes itself.
CONTROLLER_TAINT_PREFIX = "node.kubernetes.io/"


def node_record(node: Mapping[str, Any], agent_annotations: Any = "", csinode: Any = None) -> Dict[str, Any]:
    """What to keep of a Node (``kubectl get node -o json``): labels, annotations, user taints, cordon, podCIDRs, UID,
    providerID, capacity and allocatable, and the CSI drivers its ``CSINode`` lists (``csinode``, the
    ``kubectl get csinode <node> -o json`` object or empty) so that they can be waited for afterwards.

    Annotations that start with ``agent_annotations`` (a CNI agent's own, e.g. flannel's
    ``flannel.alpha.coreos.com/``) are left out: the agent writes them again when it restarts on
    the node, and its peers add the node's new lease only when they see them change (flannel's
    ``handleUpdateLeaseEvent``); restored unchanged, they would hide the new podCIDR from the peers.
    """
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    prefix = str(agent_annotations or "")
    return {
        "uid": meta.get("uid", ""),
        "labels": dict(meta.get("labels") or {}),
        "annotations": {k: v for k, v in (meta.get("annotations") or {}).items() if not (prefix and k.startswith(prefix))},
        "capacity": dict(status.get("capacity") or {}),
        "allocatable": dict(status.get("allocatable") or {}),
        "taints": [dict(t) for t in spec.get("taints") or [] if not str(t.get("key", "")).startswith(CONTROLLER_TAINT_PREFIX)],
        "unschedulable": bool(spec.get("unschedulable", False)),
        "pod_cidrs": list(spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])),
        "provider_id": str(spec.get("providerID") or ""),
        "csi_drivers": sorted(str(d.get("name")) for d in ((csinode or {}).get("spec") or {}).get("drivers") or []
                              if d.get("name")),
    }


def registered_node(name: str, record: Mapping[str, Any]) -> Dict[str, Any]:
    """The Node to create before the kubelet registers: the kept metadata, cordoned, no podCIDR (node IPAM fills it).

    Its ``status`` carries the old capacity and allocatable: a restarting kubelet admits its static
    Pods against the Node it finds in the API before it reports its own status, and a Node without
    allocatable resources makes it reject them all (seen on a test cluster: etcd and kube-apiserver
    stopped with "Pod admission denied ... no set of running pods found to reclaim resources").
    """
    taints: List[Dict[str, Any]] = [{k: v for k, v in t.items() if k in ("key", "value", "effect")}
                                    for t in record.get("taints") or []]
    spec: Dict[str, Any] = {"unschedulable": True}
    if record.get("provider_id"):
        spec["providerID"] = str(record["provider_id"])
    if taints:
        spec["taints"] = taints
    node: Dict[str, Any] = {"apiVersion": "v1", "kind": "Node",
                            "metadata": {"name": name, "labels": dict(record.get("labels") or {}),
                                         "annotations": dict(record.get("annotations") or {})},
                            "spec": spec}
    status = {key: dict(record[key]) for key in ("capacity", "allocatable") if record.get(key)}
    if status:
        node["status"] = status
    return node
