#!/usr/bin/env python3
"""What users put on their Nodes survives the conversion and the way back, exactly.

Needs a running lab. ``apply`` (before the conversion): gives dslab-w1 a custom label and
annotation, and dslab-w2 a custom label, an annotation, a custom ``NoSchedule`` taint and a
cordon (an operator's, made after the workload's pods were spread, as on a real cluster), then
records every Node's labels, annotations, taints (but the ``node.kubernetes.io/*`` ones the node
lifecycle controller manages) and ``unschedulable`` in ``SNAPSHOT``. ``check``: every Node carries
exactly that again (each difference printed; exit 1). ``clear``: uncordons dslab-w2 and removes the
custom taint (the lab's own checks then place pods on every worker); ``restore``: puts the cordon
and the taint back as recorded (before the way back).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import NS as WORKLOAD_NS, dslab  # noqa: E402  pylint: disable=wrong-import-position

SNAPSHOT = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp"), "dualstack-node-metadata.json")
LABELS = {"dslab-w1": {"dualstack.test/team": "storage"}, "dslab-w2": {"dualstack.test/team": "db"}}
ANNOTATIONS = {"dslab-w1": {"dualstack.test/owner": "ops@example.com"},
               "dslab-w2": {"dualstack.test/owner": "dba@example.com", "dualstack.test/ticket": "OPS-1234"}}
TAINT = ("dslab-w2", "dualstack.test/dedicated=db:NoSchedule")
CORDONED = "dslab-w2"
CONTROLLER_TAINTS = "node.kubernetes.io/"


def view(node: Dict[str, Any]) -> Dict[str, Any]:
    """What must be identical: labels, annotations, user taints (without timeAdded), unschedulable."""
    meta, spec = node["metadata"], node.get("spec") or {}
    taints = sorted((t["key"], t.get("value", ""), t["effect"]) for t in spec.get("taints") or []
                    if not t["key"].startswith(CONTROLLER_TAINTS))
    return {"labels": meta.get("labels") or {}, "annotations": meta.get("annotations") or {},
            "taints": [list(t) for t in taints], "unschedulable": bool(spec.get("unschedulable"))}


def nodes() -> Dict[str, Dict[str, Any]]:
    items = json.loads(dslab("kubectl", "get", "nodes", "-o", "json"))["items"]
    return {n["metadata"]["name"]: view(n) for n in items}


def differences(before: Dict[str, Any], after: Dict[str, Any]) -> List[str]:
    """Each way ``after`` differs from ``before``, one line each."""
    out = []
    for name in sorted(set(before) | set(after)):
        if name not in after or name not in before:
            out.append("%s: %s" % (name, "missing now" if name not in after else "new"))
            continue
        b, a = before[name], after[name]
        for kind in ("labels", "annotations"):
            for key in sorted(set(b[kind]) | set(a[kind])):
                if b[kind].get(key) != a[kind].get(key):
                    out.append("%s %s %s: %r -> %r" % (name, kind[:-1], key, b[kind].get(key), a[kind].get(key)))
        if b["taints"] != a["taints"]:
            out.append("%s taints: %s -> %s" % (name, b["taints"], a["taints"]))
        if b["unschedulable"] != a["unschedulable"]:
            out.append("%s unschedulable: %s -> %s" % (name, b["unschedulable"], a["unschedulable"]))
    return out


def workload_nodes() -> List[str]:
    """The nodes of the workload's Running web pods (tests/lab/workload.py)."""
    pods = json.loads(dslab("kubectl", "-n", WORKLOAD_NS, "get", "pods", "-l", "app=web", "-o", "json"))["items"]
    return sorted(p["spec"].get("nodeName", "") for p in pods
                  if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"))


def spread_workload() -> List[str]:
    """Put the workload's two replicas on two nodes before dslab-w2 is cordoned.

    With both on one worker, dslab-w2 cordoned and the control plane tainted, draining that worker
    cannot go on: the evicted replica has nowhere to run, so its PodDisruptionBudget blocks the
    second eviction (the collection then stops, uncordons and says so, as it should; the lab's
    operator spreads the pods first, as one would). Its anti-affinity is only preferred, so a
    replica deleted from the crowded node is started again on the other one.
    """
    for _ in range(3):
        where = workload_nodes()
        if len(where) == 2 and len(set(where)) == 2:
            return where
        crowded = max(set(where), key=where.count) if where else ""
        pods = json.loads(dslab("kubectl", "-n", WORKLOAD_NS, "get", "pods", "-l", "app=web",
                                "--field-selector", "spec.nodeName=%s" % crowded, "-o", "json"))["items"]
        if pods:
            dslab("kubectl", "-n", WORKLOAD_NS, "delete", "pod", pods[0]["metadata"]["name"], "--wait=true")
        dslab("kubectl", "-n", WORKLOAD_NS, "rollout", "status", "deploy/web", "--timeout=120s")
    where = workload_nodes()
    if len(set(where)) != 2:
        raise SystemExit("the workload's pods stay on %s; cannot cordon %s safely" % (where, CORDONED))
    return where


def apply() -> int:
    print("workload pods on %s" % ", ".join(spread_workload()))
    for name, labels in LABELS.items():
        dslab("kubectl", "label", "node", name, "--overwrite", *("%s=%s" % kv for kv in labels.items()))
    for name, annotations in ANNOTATIONS.items():
        dslab("kubectl", "annotate", "node", name, "--overwrite", *("%s=%s" % kv for kv in annotations.items()))
    restore()
    snapshot = nodes()
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True))
    for name in sorted(LABELS):
        print("%s: %s" % (name, json.dumps({k: v for k, v in snapshot[name].items() if k != "annotations"})))
    print("recorded %d Nodes in %s" % (len(snapshot), SNAPSHOT))
    return 0


def restore() -> int:
    dslab("kubectl", "taint", "node", TAINT[0], "--overwrite", TAINT[1])
    dslab("kubectl", "cordon", CORDONED)
    return 0


def clear() -> int:
    dslab("kubectl", "taint", "node", TAINT[0], TAINT[1].rsplit("=", 1)[0] + ":NoSchedule-", check=False)
    dslab("kubectl", "uncordon", CORDONED)
    return 0


def check() -> int:
    before = json.loads(SNAPSHOT.read_text())
    diff = differences(before, nodes())
    for line in diff:
        print("DIFF " + line)
    print("%d Nodes, %d differences in labels, annotations, taints and cordons" % (len(before), len(diff)))
    return 1 if diff else 0


if __name__ == "__main__":
    ACTIONS = {"apply": apply, "check": check, "clear": clear, "restore": restore}
    if len(sys.argv) != 2 or sys.argv[1] not in ACTIONS:
        sys.exit("usage: node_metadata.py apply|check|clear|restore")
    sys.exit(ACTIONS[sys.argv[1]]())
