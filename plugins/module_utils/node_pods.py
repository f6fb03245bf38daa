# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which pods of a re-registered node must be recreated to get addresses from its new podCIDRs.

A drain evicts every pod but DaemonSet pods (``kubectl drain --ignore-daemonsets``) and mirror
pods. After the Node is deleted and registers again with a podCIDR per family, the pods still
there hold addresses from the old podCIDR, which the other nodes no longer route; they are
deleted so that their controllers start them again with addresses from the new ranges. Pods on
the host network have the node's own addresses and are left alone (a hostNetwork CNI agent is
restarted on its own, before this, when the plan says it caches the podCIDR).
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_objects import objects_of


def pods_before(pods: Any, registered: Any, what: str) -> Iterator[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """``(metadata, spec)`` of each pod of ``pods`` created before ``registered`` and not being deleted.

    ``pods``: the node's pods (a ``PodList``, a list, or one Pod). ``registered``: the new Node's
    ``metadata.creationTimestamp`` (RFC 3339, as the API prints it; such strings sort in time order).
    """
    for pod in objects_of(pods, what):
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        if not meta.get("deletionTimestamp") and str(meta.get("creationTimestamp", "")) < str(registered):
            yield meta, spec


def pods_to_recreate(pods: Any, registered: Any) -> List[Dict[str, str]]:
    """``{namespace, name}`` of each pod on the pod network created before ``registered`` (see :func:`pods_before`)."""
    return [{"namespace": meta.get("namespace", "default"), "name": meta["name"]}
            for meta, spec in pods_before(pods, registered, "pods_to_recreate") if not spec.get("hostNetwork")]
