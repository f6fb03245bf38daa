# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Kubernetes objects as the roles write them: what is compared, a JSON merge patch, rollout state.

Pure functions behind the ``k8s_object`` and ``k8s_rollout`` modules (which run kubectl):

* an object is written only when what the user owns differs: the API server sets
  ``metadata.resourceVersion``, ``uid``, ``generation``, ``creationTimestamp``, ``managedFields``
  and ``status``, so they are left out of the comparison (kubernetes.core's ``k8s`` module compares
  the same way after its dry-run apply);
* a merge patch is RFC 7386 (``kubectl patch --type merge``): objects merge key by key, ``null``
  deletes, anything else replaces;
* a rollout is complete under the conditions ``kubectl rollout status`` uses
  (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go: ``DaemonSetStatusViewer``,
  ``DeploymentStatusViewer``).
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Mapping, Optional, Tuple

#: Set by the API server; never part of what a role decides.
SERVER_METADATA = ("resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink")


def comparable(obj: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """``obj`` without what the API server sets (status and the server's metadata fields)."""
    if not obj:
        return {}
    out = {key: copy.deepcopy(value) for key, value in obj.items() if key != "status"}
    meta = {key: value for key, value in (out.get("metadata") or {}).items() if key not in SERVER_METADATA}
    annotations = dict(meta.get("annotations") or {})
    # kubectl apply's record of the last applied configuration is not the object's content.
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def differs(current: Optional[Mapping[str, Any]], desired: Mapping[str, Any]) -> bool:
    """True when writing ``desired`` would change what ``current`` holds."""
    return comparable(current) != comparable(desired)


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch to ``target`` and return the result (``target`` is not changed)."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def object_ref(obj: Mapping[str, Any]) -> Dict[str, Any]:
    """The smallest object naming ``obj`` (``kubectl get -f -`` resolves its resource through discovery)."""
    meta = obj.get("metadata") or {}
    if not obj.get("apiVersion") or not obj.get("kind") or not meta.get("name"):
        raise ValueError("an object needs apiVersion, kind and metadata.name, got %r" % {
            "apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "name": meta.get("name")})
    ref_meta = {"name": meta["name"]}
    if meta.get("namespace"):
        ref_meta["namespace"] = meta["namespace"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": ref_meta}


def single_object(read: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The object of ``kubectl get -f - -o json``: kubectl answers a ``List`` for input read from a file, even of
    one object (its items: that object, or none with ``--ignore-not-found``)."""
    if read.get("kind") != "List":
        return dict(read)
    items = read.get("items") or []
    if len(items) > 1:
        raise ValueError("expected one object, kubectl returned %d" % len(items))
    return dict(items[0]) if items else None


def describe(obj: Mapping[str, Any]) -> str:
    """``Kind namespace/name`` for messages."""
    meta = obj.get("metadata") or {}
    where = "%s/%s" % (meta["namespace"], meta.get("name")) if meta.get("namespace") else str(meta.get("name"))
    return "%s %s" % (obj.get("kind"), where)


def rollout_state(obj: Mapping[str, Any]) -> Tuple[bool, str]:
    """(complete, message) of a DaemonSet's or Deployment's rollout, as ``kubectl rollout status`` decides it.

    DaemonSet (RollingUpdate): observedGeneration caught up, every scheduled pod updated and available.
    Deployment: observedGeneration caught up, not past its progress deadline, every replica updated,
    no old replica left, every updated replica available.
    """
    kind = obj.get("kind")
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "DaemonSet" and (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") != "RollingUpdate":
        # kubectl: "rollout status is only available for RollingUpdate strategy type". With OnDelete a
        # changed pod template restarts nothing.
        raise ValueError("%s has updateStrategy %s: its pods do not restart when its template changes; set "
                         "RollingUpdate (or delete its pods) and run again" % (describe(obj), spec["updateStrategy"]["type"]))
    generation = (obj.get("metadata") or {}).get("generation", 0)
    if status.get("observedGeneration", 0) < generation:
        return False, "waiting for the %s spec update to be observed" % kind
    if kind == "DaemonSet":
        desired = status.get("desiredNumberScheduled", 0)
        updated = status.get("updatedNumberScheduled", 0)
        available = status.get("numberAvailable", 0)
        if updated < desired:
            return False, "%d out of %d new pods have been updated" % (updated, desired)
        if available < desired:
            return False, "%d of %d updated pods are available" % (available, desired)
        return True, "%s rolled out" % describe(obj)
    if kind == "Deployment":
        for cond in status.get("conditions") or []:
            if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
                raise ValueError("%s exceeded its progress deadline" % describe(obj))
        replicas = spec.get("replicas", 1)
        updated = status.get("updatedReplicas", 0)
        if updated < replicas:
            return False, "%d out of %d new replicas have been updated" % (updated, replicas)
        if status.get("replicas", 0) > updated:
            return False, "%d old replicas are pending termination" % (status["replicas"] - updated)
        if status.get("availableReplicas", 0) < updated:
            return False, "%d of %d updated replicas are available" % (status.get("availableReplicas", 0), updated)
        return True, "%s rolled out" % describe(obj)
    raise ValueError("rollout state of %s: only DaemonSet and Deployment" % kind)
