#!/usr/bin/env python3
"""Pod-to-pod prober: every 200 ms, a pod on every node reaches a pod on every other node.

Used around a conversion of the lab with a real CNI (molecule ``flannel``, benchmarks):

* ``start`` creates a DaemonSet of the testbox image (HTTP on 8080, every node, every taint
  tolerated) in namespace ``dualstack-probe`` and starts ``run`` in the background;
* ``run`` (the prober itself, on the host): one thread per node enters the network namespace of
  that node's probe pod (``setns`` on ``/proc/PID/ns/net`` of a process in the pod's cgroup; a
  network namespace is per thread) and, every 200 ms, sends an HTTP GET to the probe pod of every
  other node on IPv4 and, once both pods have one, on IPv6 (1 s timeout).  Nothing is sent
  outside the lab's own namespaces;
* a controller thread reads Pods and Nodes every second.  When a node that was cordoned becomes
  schedulable again (the end of its re-registration), it creates a fresh pod pinned to that
  node and records how long until that pod answers a probe from another node, per family;
* ``refresh`` recreates the probe pods (after a conversion they get both families) and waits for
  IPv6 answers; ``stop`` stops the prober and prints the counts as JSON; ``counts`` prints them so far.

Failure accounting.  A failed probe is *excused* when its source or target pod is on a node that
is cordoned at that moment (the node being drained and re-registered), when either pod is being
deleted or gone by the next read (a pod replaced because its node changed podCIDRs), or when the
target or the source appeared in the last 3 s (its routes are being set up); every other failure counts.
Once ``refresh`` starts the test's own rolling restart of the probe pods (after converge and idempotence), a
failure that involves a pod created before it is counted apart as *replaced*, not as failed: the conversion
is over by then, and those pods are the ones the test itself is replacing.
Per node pair and family: probes sent, answered, failed, excused and the longest time without an
answer.  Run from the checkout: python3 tests/lab/prober.py start|stop|counts|run
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab"))

from dslab import cluster, net, nodes  # noqa: E402

NS = "dualstack-probe"
STATE_DIR = REPO / "tests" / "output" / "prober"
COUNTS = STATE_DIR / "counts.json"
PIDFILE = STATE_DIR / "prober.pid"
# When `refresh` began the rolling restart of the probe pods (written by that command, read by the prober).
REFRESH_MARK = STATE_DIR / "refresh.started"
INTERVAL = 0.2
TIMEOUT = 1.0
FRESH_GOAL = 30.0
SETTLE = 3.0
CLONE_NEWNET = 0x40000000
IMAGE = "dualstack.lab/testbox:1"
EMPTY_PAIR: dict[str, Any] = {"sent": 0, "ok": 0, "failed": 0, "excused": 0, "replaced": 0, "longest_gap": 0.0, "last_ok": None}


def probe_pod(name: str, labels: dict[str, str], node: str | None = None) -> dict[str, Any]:
    """A testbox pod spec (HTTP on 8080) tolerating every taint; pinned to ``node`` when given."""
    spec: dict[str, Any] = {
        "terminationGracePeriodSeconds": 1,
        "tolerations": [{"operator": "Exists"}],
        "containers": [{"name": "http", "image": IMAGE, "imagePullPolicy": "Never",
                        "ports": [{"containerPort": 8080}]}],
    }
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name, "namespace": NS, "labels": labels}, "spec": spec}


WORKLOAD = {
    "apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "probe", "namespace": NS},
         "spec": {"selector": {"matchLabels": {"app": "probe"}},
                  "template": {k: v for k, v in probe_pod("probe", {"app": "probe"}).items() if k != "metadata"}
                  | {"metadata": {"labels": {"app": "probe"}}}}},
    ],
}


# --------------------------------------------------------------------------- pure parts


def pod_addresses(pod: dict[str, Any]) -> dict[str, str]:
    """``{"IPv4": ip, "IPv6": ip}`` from a Pod's ``status.podIPs``."""
    out = {}
    for item in pod.get("status", {}).get("podIPs", []) or []:
        ip = item.get("ip", "")
        out["IPv6" if ":" in ip else "IPv4"] = ip
    return out


def usable(pod: dict[str, Any]) -> bool:
    """A pod that is Running, Ready and not being deleted."""
    status = pod.get("status", {})
    ready = [c.get("status") for c in status.get("conditions", []) or [] if c.get("type") == "Ready"]
    return status.get("phase") == "Running" and ready == ["True"] and "deletionTimestamp" not in pod["metadata"]


def excused(src: dict[str, Any], dst: dict[str, Any], cordoned: set[str], alive: set[str], now: float) -> bool:
    """Whether a failed probe from ``src`` to ``dst`` (target records) is the drained node's own."""
    if src["node"] in cordoned or dst["node"] in cordoned:
        return True
    if src["uid"] not in alive or dst["uid"] not in alive:
        return True
    # A pod that appeared in the last SETTLE s, target or source (its network being set up; seen on the
    # flannel lab during the probe DaemonSet's rolling restart, 2026-12-05: one failure from a new pod).
    return now - dst["seen"] < SETTLE or now - src["seen"] < SETTLE


def http_ok(address: str, family: str) -> bool:
    """One HTTP GET to ``address``:8080 from the calling thread's network namespace."""
    fam = socket.AF_INET6 if family == "IPv6" else socket.AF_INET
    try:
        with socket.socket(fam, socket.SOCK_STREAM) as sock:
            sock.settimeout(TIMEOUT)
            sock.connect((address, 8080))
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False


# --------------------------------------------------------------------------- the prober


class Prober:
    """State shared by the controller and the per-node probe threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = True
        self.targets: dict[str, dict[str, Any]] = {}  # uid -> {name, node, uid, ips, seen, fresh}
        self.cordoned: set[str] = set()
        self.seen_cordoned: set[str] = set()
        self.out_windows: dict[str, list[list[Any]]] = {}
        self.read_errors = 0
        self.pending: list[tuple[dict[str, Any], dict[str, Any], str, float]] = []
        self.pairs: dict[str, dict[str, Any]] = {}
        self.fresh: list[dict[str, Any]] = []
        self.samples: list[str] = []
        self.started = time.time()
        self.threads: dict[str, threading.Thread] = {}
        self.libc = ctypes.CDLL(None, use_errno=True)

    # -- controller ----------------------------------------------------------------------------

    def read(self) -> None:
        pods = json.loads(cluster.kubectl("-n", NS, "get", "pods", "-o", "json", timeout=20))["items"]
        node_items = json.loads(cluster.kubectl("get", "nodes", "-o", "json", timeout=20))["items"]
        now = time.time()
        # A Node being re-registered is cordoned, or absent between its deletion and registration; it
        # counts as uncordoned only when it is there and schedulable again (an absent node keeps its state).
        present = {n["metadata"]["name"] for n in node_items}
        absent = {n.name for n in net.nodes()} - present
        unschedulable = {n["metadata"]["name"] for n in node_items if n["spec"].get("unschedulable")}
        with self.lock:
            cordoned = unschedulable | (self.cordoned & absent)
            alive = {p["metadata"]["uid"] for p in pods if "deletionTimestamp" not in p["metadata"]}
            refresh_at = float(REFRESH_MARK.read_text()) if REFRESH_MARK.exists() else None
            for src, dst, family, when in self.pending:
                if excused(src, dst, self.cordoned | cordoned | absent, alive, when):
                    kind = "excused"
                elif refresh_at is not None and when >= refresh_at and min(src["seen"], dst["seen"]) < refresh_at:
                    kind = "replaced"
                else:
                    kind = "failed"
                self.account(src, dst, family, kind, when)
            self.pending = []
            # An uncordon: the same Node object (by UID) seen cordoned is schedulable again.
            uids = {n["metadata"]["uid"]: n["metadata"]["name"] for n in node_items}
            cordoned_uids = {n["metadata"]["uid"] for n in node_items if n["spec"].get("unschedulable")}
            for uid in sorted(self.seen_cordoned & (set(uids) - cordoned_uids)):
                self.fresh.append(self.create_fresh(uids[uid], now))
            self.seen_cordoned = cordoned_uids
            self.cordoned = cordoned
            # When each node was out (cordoned or absent): [from, to] from this 1 s poll.
            for node in cordoned | absent:
                spans = self.out_windows.setdefault(node, [])
                if not spans or spans[-1][1] is not None:
                    spans.append([now, None])
            for node, spans in self.out_windows.items():
                if node not in cordoned | absent and spans and spans[-1][1] is None:
                    spans[-1][1] = now
            targets = {}
            for pod in pods:
                uid = pod["metadata"]["uid"]
                if not usable(pod) or not pod["spec"].get("nodeName"):
                    continue
                old = self.targets.get(uid)
                targets[uid] = {"name": pod["metadata"]["name"], "node": pod["spec"]["nodeName"], "uid": uid,
                                "ips": pod_addresses(pod), "seen": old["seen"] if old else now,
                                "fresh": pod["metadata"].get("labels", {}).get("app") == "fresh"}
            self.targets = targets
        for target in targets.values():
            if not target["fresh"] and target["uid"] not in self.threads:
                thread = threading.Thread(target=self.source, args=(target,), daemon=True)
                self.threads[target["uid"]] = thread
                thread.start()

    def create_fresh(self, node: str, now: float) -> dict[str, Any]:
        name = "fresh-%s-%d" % (node.removeprefix("dslab-"), len(self.fresh))
        pod = {"apiVersion": "v1", "kind": "Pod", **probe_pod(name, {"app": "fresh"}, node)}
        cluster.kubectl("apply", "-f", "-", input_text=json.dumps(pod), check=False, timeout=20)
        return {"node": node, "pod": name, "uncordoned": now, "reachable_after": {}}

    def account(self, src: dict[str, Any], dst: dict[str, Any], family: str, kind: str, when: float) -> None:
        """Count a failed probe as ``excused``, ``replaced`` or ``failed`` (a sample kept for the last two)."""
        pair = self.pairs.setdefault("%s>%s/%s" % (src["node"], dst["node"], family), dict(EMPTY_PAIR))
        pair[kind] += 1
        if kind != "excused":
            if len(self.samples) < 20:
                self.samples.append("%.1f %s -> %s %s %s%s" % (when - self.started, src["name"], dst["name"], family,
                                                             dst["ips"].get(family), " (replaced)" if kind == "replaced" else ""))

    # -- probe threads -------------------------------------------------------------------------

    def netns_fd(self, target: dict[str, Any]) -> int | None:
        node = next(n for n in net.nodes() if n.name == target["node"])
        for base in nodes.node_cgroups(node):
            for pod_dir in base.glob("kubepods*/**/pod%s" % target["uid"]):
                for pid in nodes.cgroup_pids(pod_dir):
                    try:
                        return os.open("/proc/%d/ns/net" % pid, os.O_RDONLY)
                    except OSError:
                        continue
        return None

    def source(self, me: dict[str, Any]) -> None:
        fd = None
        deadline = time.time() + 30
        while fd is None and time.time() < deadline and self.running:
            fd = self.netns_fd(me)
            if fd is None:
                time.sleep(0.5)
        if fd is None or self.libc.setns(fd, CLONE_NEWNET) != 0:
            return
        os.close(fd)
        while self.running:
            began = time.time()
            with self.lock:
                if me["uid"] not in self.targets:
                    break
                mine = self.targets[me["uid"]]
                work = [(t, fam) for t in self.targets.values() if t["node"] != mine["node"]
                        for fam in ("IPv4", "IPv6") if fam in t["ips"] and fam in mine["ips"]]
            for target, family in work:
                ok = http_ok(target["ips"][family], family)
                now = time.time()
                with self.lock:
                    if target["fresh"]:
                        entry = next((f for f in self.fresh if f["pod"] == target["name"]), None)
                        if ok and entry and family not in entry["reachable_after"]:
                            entry["reachable_after"][family] = round(now - entry["uncordoned"], 1)
                        continue
                    pair = self.pairs.setdefault("%s>%s/%s" % (mine["node"], target["node"], family), dict(EMPTY_PAIR))
                    pair["sent"] += 1
                    if ok:
                        pair["ok"] += 1
                        if pair["last_ok"] is not None:
                            pair["longest_gap"] = round(max(pair["longest_gap"], now - pair["last_ok"]), 1)
                        pair["last_ok"] = now
                    else:
                        self.pending.append((dict(mine), dict(target), family, now))
            time.sleep(max(0.0, INTERVAL - (time.time() - began)))

    # -- results -------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        with self.lock:
            pairs = {k: {kk: vv for kk, vv in v.items() if kk != "last_ok"} for k, v in sorted(self.pairs.items())}
            keys = ("sent", "ok", "failed", "excused", "replaced")
            total = {key: sum(p[key] for p in pairs.values()) for key in keys}
            families = {fam: {key: sum(p[key] for name, p in pairs.items() if name.endswith("/" + fam)) for key in keys}
                        for fam in ("IPv4", "IPv6")}
            # A fresh pod is late when it did not answer on IPv4 within the goal.
            late = [f["pod"] for f in self.fresh if f["reachable_after"].get("IPv4", FRESH_GOAL + 1) > FRESH_GOAL]
            return {"seconds": round(time.time() - self.started, 1), **total, "families": families, "pairs": pairs,
                    "fresh": list(self.fresh), "fresh_goal_s": FRESH_GOAL, "fresh_late": late,
                    "failure_samples": list(self.samples), "api_read_errors": self.read_errors,
                    "out_windows": {n: [[a, b if b is not None else time.time()] for a, b in spans]
                                    for n, spans in self.out_windows.items()}}

    def save(self) -> None:
        tmp = COUNTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.summary(), indent=1))
        tmp.replace(COUNTS)


def run() -> None:
    """The prober's main loop (until SIGTERM)."""
    prober = Prober()

    def stop(*_: object) -> None:
        prober.running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while prober.running:
        began = time.time()
        try:
            prober.read()
        except Exception:  # noqa: BLE001 - the API is away while the lab's only apiserver restarts
            with prober.lock:
                prober.read_errors += 1
        prober.save()
        time.sleep(max(0.0, 1.0 - (time.time() - began)))
    time.sleep(TIMEOUT + INTERVAL)
    try:
        prober.read()  # account for the last pending probes
    except Exception:  # noqa: BLE001
        pass
    prober.save()


# --------------------------------------------------------------------------- commands


def counts() -> dict[str, Any]:
    return json.loads(COUNTS.read_text()) if COUNTS.exists() else {}


def start() -> dict[str, Any]:
    cluster.kubectl("apply", "-f", "-", input_text=json.dumps(WORKLOAD))
    cluster.kubectl("-n", NS, "rollout", "status", "daemonset/probe", "--timeout=180s", timeout=200)
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    COUNTS.unlink(missing_ok=True)
    REFRESH_MARK.unlink(missing_ok=True)
    child = subprocess.Popen([sys.executable, __file__, "run"], stdin=subprocess.DEVNULL,
                             stdout=open(STATE_DIR / "prober.log", "w"), stderr=subprocess.STDOUT,
                             start_new_session=True)
    PIDFILE.write_text(str(child.pid))
    deadline = time.time() + 60
    while time.time() < deadline:
        got = counts()
        if got.get("ok", 0) >= 3 * len(net.nodes()):
            return got
        time.sleep(1)
    raise SystemExit("the prober got no answers within 60 s: %s" % counts())


def refresh() -> dict[str, Any]:
    """Recreate the probe pods (after a conversion they get both families) and wait for IPv6 answers.

    Pods created before the CNI turned IPv6 on keep one family until they are recreated, as on any
    cluster; the prober goes on counting while its DaemonSet rolls.
    """
    before = counts().get("families", {}).get("IPv6", {}).get("ok", 0)
    REFRESH_MARK.write_text(repr(time.time()))
    cluster.kubectl("-n", NS, "rollout", "restart", "daemonset/probe")
    cluster.kubectl("-n", NS, "rollout", "status", "daemonset/probe", "--timeout=180s", timeout=200)
    deadline = time.time() + 60
    while time.time() < deadline:
        got = counts()
        if got.get("families", {}).get("IPv6", {}).get("ok", 0) >= before + 10 * len(net.nodes()):
            return got
        time.sleep(1)
    raise SystemExit("no IPv6 answers between the recreated probe pods within 60 s: %s" % counts())


def stop() -> dict[str, Any]:
    if PIDFILE.exists():
        pid = int(PIDFILE.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.1)
        except ProcessLookupError:
            pass
        PIDFILE.unlink()
    cluster.kubectl("-n", NS, "delete", "pods", "-l", "app=fresh", "--wait=false", check=False)
    return counts()


def main(argv: list[str]) -> int:
    action = argv[1] if len(argv) > 1 else ""
    if action == "run":
        run()
        return 0
    if action not in ("start", "stop", "counts", "refresh"):
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps({"start": start, "stop": stop, "counts": counts, "refresh": refresh}[action]()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
