# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Where a Node's record lives while the Node is re-registered: a ConfigMap in ``kube-system``.

Between ``kubectl delete node`` and the moment its metadata is restored, the only copy of a Node's
labels, annotations, taints, cordon and providerID is this record. It is kept in the cluster, not
on one control-plane host, so that a run interrupted there can be finished from any host (review
finding M3): one ConfigMap, one key per node being re-registered, ``<node name>_<node UID>``
(``_`` is in no Node name, so the key splits back unambiguously), each value a JSON document with
the record and the time it was written. The key is removed when the node is done.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: The ConfigMap, in kube-system, that holds the records of the nodes being re-registered.
RECORDS_CONFIGMAP = "dualstack-kubernetes-node-records"
RECORDS_NAMESPACE = "kube-system"


def record_key(name: str, uid: str) -> str:
    """The ConfigMap key of a Node's record: ``<name>_<uid>`` (a UID-less Node gets ``<name>_``)."""
    return "%s_%s" % (name, uid or "")


def _data(configmap: Any) -> Mapping[str, Any]:
    """The ConfigMap's data, or ``{}`` when it is empty or does not exist."""
    return ((configmap or {}).get("data") or {}) if isinstance(configmap, Mapping) else {}


def _node_of(key: str) -> str:
    """The Node name of a record key (:func:`record_key`)."""
    return key.rpartition("_")[0]


def _entries(configmap: Any, name: str) -> List[Dict[str, Any]]:
    out = []
    for key, value in _data(configmap).items():
        if _node_of(key) != name:
            continue
        try:
            entry = json.loads(value)
        except ValueError as exc:
            raise DualStackError("the record %s in ConfigMap %s/%s is not JSON (%s); fix or delete that key"
                                 % (key, RECORDS_NAMESPACE, RECORDS_CONFIGMAP, exc)) from exc
        if isinstance(entry, dict) and isinstance(entry.get("record"), dict):
            out.append(dict(entry, key=key))
    return out


def pending_record(configmap: Any, name: str) -> Dict[str, Any]:
    """The record an interrupted run left for Node ``name`` (the newest if several), or ``{}``.

    ``configmap``: the ConfigMap as ``kubectl get -o json`` prints it, or empty when it does not exist.
    """
    entries = sorted(_entries(configmap, name), key=lambda e: str(e.get("recorded", "")))
    return dict(entries[-1]["record"]) if entries else {}


def record_patch(name: str, record: Mapping[str, Any], recorded: str) -> Dict[str, Any]:
    """The merge patch that stores ``record`` for Node ``name``, dated ``recorded`` (RFC 3339, UTC)."""
    entry = {"node": name, "uid": record.get("uid", ""), "recorded": recorded, "record": dict(record)}
    return {"data": {record_key(name, str(record.get("uid", ""))): json.dumps(entry, sort_keys=True)}}


def forget_patch(configmap: Any, name: str, uid: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """The merge patch that removes every record of Node ``name`` found in ``configmap``, and the key of ``uid`` when
    given (a record written after ``configmap`` was read); None when there is nothing to remove."""
    keys = {e["key"] for e in _entries(configmap, name)}
    if uid is not None:
        keys.add(record_key(name, uid))
    return {"data": {key: None for key in sorted(keys)}} if keys else None


def nodes_to_visit(names: Sequence[str], converted: Sequence[str], configmap: Any) -> List[str]:
    """The nodes of ``names`` (in order) the nodes role must look at: those preflight did not find converted
    (``converted``: the plan's ``nodes_converted``), and those an interrupted run left a record for in ``configmap``
    (the records ConfigMap as ``kubectl get -o json`` prints it, or empty)."""
    pending = {_node_of(key) for key in _data(configmap)}
    done = set(converted or [])
    return [name for name in names if name not in done or name in pending]
