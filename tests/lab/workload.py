#!/usr/bin/env python3
"""A 2-replica Deployment behind an IPv4 Service, and a client that counts failed requests.

Used around a conversion of the lab (molecule prepare/verify, benchmarks/conversion.py,
tests/lab/kill_points.py): `start` creates the workload (PodDisruptionBudget minAvailable 1,
readiness probe, a short preStop so that endpoints go before the pod does) and starts the
client on dslab-cp1's host network, outside every pod, so that no drain or re-registration
stops it; `stop` stops it and prints its counts as JSON. The client sends an HTTP GET to the
Service's IPv4 ClusterIP every 200 ms (2 s timeout) and records each failure window.
Run from the checkout: python3 tests/lab/workload.py start|stop|counts
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NS = "dualstack-client"
REMOTE_SCRIPT = "/root/dualstack-client.py"
REMOTE_COUNTS = "/root/dualstack-client.json"
# pkill -f pattern that matches the client but not the shell that runs pkill.
CLIENT_PATTERN = "[d]ualstack-client.py"
WORKLOAD = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": NS},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                      "terminationGracePeriodSeconds": 10,
                      # Room for an evicted replica while a batch drains both workers: the control plane too.
                      "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                                       "effect": "NoSchedule"}],
                      "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                          {"weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                                              "labelSelector": {"matchLabels": {"app": "web"}}}}]}},
                      "containers": [{
                          "name": "web", "image": "dualstack.lab/testbox:1", "imagePullPolicy": "Never",
                          "ports": [{"containerPort": 8080}],
                          "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
                          # Endpoints are removed while the pod still serves (the usual graceful drain).
                          "lifecycle": {"preStop": {"exec": {"command": ["sleep", "3"]}}}}]}}}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web", "namespace": NS},
         "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}},
    ],
}
# Runs on the node with its python3; writes its counts atomically after every request.
CLIENT = r'''
import json, os, signal, socket, sys, time
address, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
state = {"address": address, "ok": 0, "failed": 0, "windows": [], "started": time.time(), "last": ""}
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
def save():
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, out)
while running:
    began = time.time()
    try:
        with socket.create_connection((address, port), timeout=2) as s:
            s.settimeout(2)
            s.sendall(b"GET /cgi-bin/whoami HTTP/1.0\r\nHost: web\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        ok = b"host: " in data
        state["last"] = "" if ok else data[:80].decode(errors="replace")
    except OSError as err:
        ok = False
        state["last"] = str(err)
    if ok:
        state["ok"] += 1
    else:
        state["failed"] += 1
        windows = state["windows"]
        if windows and began - windows[-1][1] < 1.0:
            windows[-1][1] = time.time()
            windows[-1][2] += 1
        else:
            windows.append([began, time.time(), 1, state["last"]])
    save()
    time.sleep(max(0.0, 0.2 - (time.time() - began)))
save()
'''

# Runs on the node: prints "ok" once the Service answers an HTTP request (60 s at most).
PROBE = r'''
import socket, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with socket.create_connection((sys.argv[1], 80), timeout=2) as s:
            s.settimeout(2)
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            if s.recv(16).startswith(b"HTTP/1"):
                print("ok")
                break
    except OSError:
        pass
    time.sleep(1)
'''


def lab_target() -> dict:
    """The dual-stack target of the lab: examples/lab-target.yml (what ``make main`` applies), egress by the
    CNI on a real CNI's lab (``DUALSTACK_LAB_CNI`` flannel or calico), as the Molecule scenarios set it."""
    import yaml  # pylint: disable=import-outside-toplevel  (the venv's; the nodes never import this module)
    target = yaml.safe_load((REPO / "examples" / "lab-target.yml").read_text())
    if os.environ.get("DUALSTACK_LAB_CNI") in ("flannel", "calico"):
        target["dualstack_egress_mode"] = "none"
    return target


COLLECTION = "dualstack.kubernetes"


def collection_places(listing: str) -> list[str]:
    """The places ``ansible-galaxy collection list dualstack.kubernetes --format json`` found the collection in."""
    found = json.loads(listing or "{}")
    return sorted(place for place, collections in found.items() if COLLECTION in (collections or {}))


def require_collection() -> None:
    """Stop before the lab is touched when ansible-playbook would not find the collection (every playbook
    names its roles dualstack.kubernetes.*): without it each playbook fails in under a second and a long
    run records rows that say nothing about the roles."""
    listing = subprocess.run(["ansible-galaxy", "collection", "list", COLLECTION, "--format", "json"],
                             capture_output=True, text=True, check=False)
    if listing.returncode != 0 or not collection_places(listing.stdout):
        sys.exit("%s is not installed where ansible looks (ANSIBLE_COLLECTIONS_PATH=%s): run `make collection` "
                 "and set ANSIBLE_COLLECTIONS_PATH=%s (the make targets do both)"
                 % (COLLECTION, os.environ.get("ANSIBLE_COLLECTIONS_PATH", "unset"),
                    REPO / "tests" / "output" / ".collections"))


def dslab(*args: str, stdin: str | None = None, check: bool = True) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO / "lab"))
    return subprocess.run([sys.executable, "-m", "dslab", *args], check=check, capture_output=True, text=True,
                          env=env, input=stdin).stdout


def start() -> dict:
    """Create the workload, wait until both replicas serve, start the client on cp1."""
    dslab("kubectl", "apply", "-f", "-", stdin=json.dumps(WORKLOAD))
    dslab("kubectl", "-n", NS, "rollout", "status", "deploy/web", "--timeout=180s")
    address = dslab("kubectl", "-n", NS, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}").strip()
    # The Service is new: kube-proxy on cp1 may not have its rules yet (after the fault test its
    # watch is still reconnecting to the restarted apiserver). Count only once it has answered.
    if dslab("ssh", "cp1", "python3 - %s" % address, stdin=PROBE, check=False).strip() != "ok":
        raise SystemExit("the Service %s:80 did not answer dslab-cp1 within 60 s" % address)
    dslab("ssh", "cp1", "cat > %s" % REMOTE_SCRIPT, stdin=CLIENT)
    # Two sessions: the pkill pattern would match a shell whose command line names the script.
    dslab("ssh", "cp1", "pkill -f '%s'; rm -f %s; true" % (CLIENT_PATTERN, REMOTE_COUNTS), check=False)
    dslab("ssh", "cp1", "setsid nohup python3 %s %s 80 %s >/dev/null 2>&1 </dev/null &" % (REMOTE_SCRIPT, address, REMOTE_COUNTS))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = counts()
        if got.get("ok", 0) >= 3:
            return got
        time.sleep(1)
    raise SystemExit("the client on dslab-cp1 got no answer from %s:80 within 30 s: %s" % (address, counts()))


def counts() -> dict:
    """The client's counts so far (empty when it has not written any)."""
    text = dslab("ssh", "cp1", "cat %s 2>/dev/null; true" % REMOTE_COUNTS)
    return json.loads(text) if text.strip() else {}


#: The prober's counts (tests/lab/prober.py), which record when each node was cordoned or absent.
PROBER_COUNTS = REPO / "tests" / "output" / "prober" / "counts.json"
SLACK = 2.0


def failed_outside(windows: list, out_windows: list) -> int:
    """Failed requests not inside a span when the client's own node was out (cordoned or absent, +-SLACK s)."""
    return sum(count for begin, end, count, _why in windows
               if not any(a - SLACK <= begin and end <= b + SLACK for a, b in out_windows))


def stop() -> dict:
    """Stop the client and return its final counts.

    With a real CNI whose node subnet changes on re-registration (flannel), the client on
    dslab-cp1's host network loses its path to pods on other nodes while dslab-cp1 itself is
    re-registered: with DUALSTACK_CLIENT_OWN_NODE=dslab-cp1, failures inside that node's
    cordoned spans (read from the prober) are counted apart; ``failed_outside`` is what must be 0.
    """
    dslab("ssh", "cp1", "pkill -TERM -f '%s'; sleep 1; true" % CLIENT_PATTERN, check=False)
    result = counts()
    result["seconds"] = round(time.time() - result.get("started", time.time()), 1)
    own = os.environ.get("DUALSTACK_CLIENT_OWN_NODE", "")
    spans = []
    if own and PROBER_COUNTS.exists():
        spans = json.loads(PROBER_COUNTS.read_text()).get("out_windows", {}).get(own, [])
        result["own_node"] = own
    result["failed_outside"] = failed_outside(result.get("windows", []), spans)
    return result


def command_line(argv: list[str], doc: str, actions: dict) -> int:
    """``PROGRAM ACTION``: run ``actions[ACTION]`` and print its result as JSON (the usage, exit 2, otherwise)."""
    action = argv[1] if len(argv) > 1 else ""
    if action not in actions:
        print(doc, file=sys.stderr)
        return 2
    print(json.dumps(actions[action]()))
    return 0


def main(argv: list[str]) -> int:
    return command_line(argv, __doc__, {"start": start, "stop": stop, "counts": counts})


if __name__ == "__main__":
    sys.exit(main(sys.argv))
