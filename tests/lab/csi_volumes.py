#!/usr/bin/env python3
"""The lab's CSI node plugin is registered on every node, and a volume of its driver mounts there.

The lab runs a real CSI node plugin on every node (``lab/dslab/csi.py``: upstream's
node-driver-registrar and e2e mock driver, driver ``mock.storage.k8s.io``). Re-registering a Node
deletes its CSINode; the conversion (and the way back) must leave every node with:

* a CSINode owned by the Node object that exists now (the garbage collector removes one owned by a
  deleted Node), listing the driver, with the node ID the driver reports;
* the plugin's pod Running and Ready on it;
* a pod with an inline ephemeral volume of the driver Running on it (the kubelet found the driver
  through its registration and the driver's NodePublishVolume answered).

``check`` prints one line per node and check and exits 1 when one fails. Run it from the checkout
(the lab's kubeconfig, through ``dslab kubectl``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import REPO, dslab  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, str(REPO / "lab"))
from dslab import csi  # noqa: E402  pylint: disable=wrong-import-position

NAMESPACE = "dslab-csi-check"
IMAGE = "dualstack.lab/testbox:1"
TIMEOUT = 120


def kubectl_json(*args: str) -> dict:
    return json.loads(dslab("kubectl", *args, "-o", "json"))


def registration_problems(nodes: Dict[str, dict], csinodes: Dict[str, dict], plugin_pods: List[dict]) -> Dict[str, List[str]]:
    """Return node -> what is wrong with its registration (empty list: nothing)."""
    problems: Dict[str, List[str]] = {}
    for name, node in nodes.items():
        found: List[str] = []
        csinode = csinodes.get(name)
        if csinode is None:
            found.append("no CSINode")
        else:
            owners = [ref.get("uid") for ref in csinode["metadata"].get("ownerReferences") or []]
            if node["metadata"]["uid"] not in owners:
                found.append(f"CSINode owned by {owners}, not by the Node's uid {node['metadata']['uid']}")
            drivers = {d["name"]: d for d in csinode.get("spec", {}).get("drivers") or []}
            if csi.DRIVER not in drivers:
                found.append(f"CSINode lists {sorted(drivers)}, not {csi.DRIVER}")
        pods = [p for p in plugin_pods if p["spec"].get("nodeName") == name]
        ready = [p for p in pods if p.get("status", {}).get("phase") == "Running"
                 and all(c.get("ready") for c in p["status"].get("containerStatuses") or [{}])]
        if not ready:
            found.append(f"no Ready plugin pod ({len(pods)} on the node)")
        problems[name] = found
    return problems


def volume_pod(node: str) -> dict:
    """A pod pinned to ``node`` that mounts an inline ephemeral volume of the lab's driver."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"csi-{node}", "namespace": NAMESPACE},
        "spec": {"nodeName": node, "tolerations": [{"operator": "Exists"}], "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "Never",
                                 "args": ["sleep", "3600"], "volumeMounts": [{"name": "v", "mountPath": "/data"}]}],
                 "volumes": [{"name": "v", "csi": {"driver": csi.DRIVER}}]},
    }


def mount_problems(node_names: List[str]) -> Dict[str, List[str]]:
    """Run :func:`volume_pod` on every node; return node -> problems (the pod not Running in time)."""
    dslab("kubectl", "create", "namespace", NAMESPACE)
    try:
        items = [volume_pod(n) for n in node_names]
        dslab("kubectl", "apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        deadline = time.monotonic() + TIMEOUT
        phases: Dict[str, str] = {}
        while time.monotonic() < deadline:
            pods = kubectl_json("-n", NAMESPACE, "get", "pods")["items"]
            phases = {p["spec"]["nodeName"]: p.get("status", {}).get("phase", "?") for p in pods}
            if all(phases.get(n) == "Running" for n in node_names):
                break
            time.sleep(2)
        events = [e.get("message", "") for e in kubectl_json("-n", NAMESPACE, "get", "events")["items"]
                  if e.get("type") == "Warning"]
        return {n: ([] if phases.get(n) == "Running"
                    else [f"volume pod {phases.get(n, 'missing')} after {TIMEOUT} s; warnings: {events[-3:]}"])
                for n in node_names}
    finally:
        dslab("kubectl", "delete", "namespace", NAMESPACE, "--wait=false")


def check() -> int:
    nodes = {n["metadata"]["name"]: n for n in kubectl_json("get", "nodes")["items"]}
    csinodes = {c["metadata"]["name"]: c for c in kubectl_json("get", "csinodes")["items"]}
    plugin_pods = kubectl_json("-n", csi.NAMESPACE, "get", "pods", "-l", f"app={csi.DAEMONSET}")["items"]
    problems = registration_problems(nodes, csinodes, plugin_pods)
    for node, found in mount_problems(sorted(nodes)).items():
        problems[node] += found
    for node in sorted(problems):
        line = "ok" if not problems[node] else "FAILED: " + "; ".join(problems[node])
        print(f"{node}: CSINode lists {csi.DRIVER}, owned by the Node, plugin Ready, inline volume mounted: {line}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    if sys.argv[1:] != ["check"]:
        sys.exit("usage: csi_volumes.py check")
    sys.exit(check())
