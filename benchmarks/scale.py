#!/usr/bin/env python3
"""Benchmark: the conversion's API side at 3, 1,000 and 5,000 Nodes, with KWOK fake nodes on a real control plane.

No nodes are booted: the lab's own etcd, kube-apiserver and kube-controller-manager binaries (built by
`dslab build`, cached) run on the host's loopback (127.0.0.1 only) in <cache>/sim/, and KWOK
(sigs.k8s.io/kwok, built once from the Go module proxy into <cache>/kwok-<version>/) plays the kubelets:
it keeps the fake Nodes Ready and runs the pods bound to them. The real node IPAM controller hands out the
podCIDRs. Nothing here is a stand-in for the collection's code: the plan is the conversion_plan filter's
function, the node checks are the verify role's task file run by ansible-playbook, the re-registration uses
the nodes role's kubectl commands and its node_record/registered_node functions.

For each size it prints:
- preflight: `kubectl get nodes -o json` (the read) and the plan over every Node (conversion_plan with the
  Nodes, the capacity check with the real count);
- verify's node-level checks: the verify role's nodes.yml through ansible-playbook, and the same checks the
  way the docs show (`kubectl get node NAME -o go-template=...` per node), timed on a sample and projected;
  their ratio;
- with --reregister: the real kube-controller-manager, restarted dual-stack with the computed masks,
  allocating IPv6 podCIDRs to every Node deleted and created again: time to the last allocation, and no
  podCIDR handed out twice; before that, the nodes role's API steps for batches of --batches sizes side by side;
- the projection of a rollout of 500 and 5,000 real nodes at 60 s per drain for batch sizes 1, 5 %, 10 %
  and 20 %, from the measured API seconds per batch.
Medians of --repeat reads. Writes benchmarks/results/scale.json and scale.png (matplotlib). Run from the checkout:
  PATH=.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=tests/output/.collections python benchmarks/scale.py --nodes 3,1000,5000
Builds the lab's binaries when missing (as `dslab up` does; cached) and KWOK; needs openssl.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lab"))
sys.path.insert(0, str(REPO / "tests" / "output" / ".collections"))
from dslab import util  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.dualstack.kubernetes.plugins.module_utils.batches import size_of  # noqa: E402
from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_record import (  # noqa: E402
    node_record,
    registered_node,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import conversion_plan  # noqa: E402

KWOK_MODULE = "sigs.k8s.io/kwok"
KWOK_VERSION = "v0.8.0"
ETCD_PORT, API_PORT = 23791, 16443
POD_V4, POD_V6 = "10.128.0.0/10", "fd00:10:128::/48"   # room for 16,384 /24 and 65,536 /64 node ranges
SERVICE_V4, SERVICE_V6 = "10.96.0.0/16", "fd00:10:96::/112"
FAKE = "kwok.x-k8s.io/node"
NAMESPACE = "sim"
GO_TEMPLATE = ("{{range .status.addresses}}{{if eq .type \"InternalIP\"}}{{.address}} {{end}}{{end}}"
               "|{{range .spec.podCIDRs}}{{.}} {{end}}")


def sim_dir() -> Path:
    return util.cache_root() / "sim"


def kwok_binary() -> Path:
    """KWOK, built once (CGO off) from the Go module proxy."""
    out = util.cache_root() / ("kwok-" + KWOK_VERSION)
    binary = out / "kwok"
    if not binary.exists():
        out.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, GOMODCACHE=str(util.cache_root() / "gomod"), GOCACHE=str(util.cache_root() / "gocache"),
                   CGO_ENABLED="0", GOBIN=str(out), GOFLAGS="-mod=mod")
        subprocess.run(["go", "install", "-trimpath", "-ldflags", "-s -w", "%s/cmd/kwok@%s" % (KWOK_MODULE, KWOK_VERSION)],
                       env=env, check=True, cwd=tempfile.gettempdir())
    return binary


def kwok_stages() -> str:
    """KWOK's published 'fast' node and pod stages (kustomize/stage/{node,pod}/fast in its module)."""
    root = util.cache_root() / "gomod" / ("%s@%s" % (KWOK_MODULE, KWOK_VERSION)) / "kustomize" / "stage"
    docs = [path.read_text() for kind in ("node", "pod") for path in sorted((root / kind / "fast").glob("*.yaml"))
            if path.name != "kustomization.yaml"]
    if not docs:
        raise SystemExit("KWOK's stages not found under %s" % root)
    return "\n---\n".join(docs)


class ControlPlane:
    """etcd, kube-apiserver and kube-controller-manager on 127.0.0.1, plus KWOK; stopped by stop()."""

    def __init__(self, binaries: Path, root: Path) -> None:
        self.bin, self.root = binaries, root
        self.procs: Dict[str, subprocess.Popen] = {}
        self.kubeconfig = root / "kubeconfig"

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        proc = subprocess.run([str(self.bin / "kubectl"), "--kubeconfig", str(self.kubeconfig), *args], input=stdin,
                              capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError("kubectl %s: %s" % (" ".join(args[:4]), proc.stderr.strip()[-400:]))
        return proc.stdout

    def start(self, name: str, argv: List[str]) -> None:
        log = open(self.root / (name + ".log"), "ab")  # pylint: disable=consider-using-with
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop_one(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop(self) -> None:
        for name in ("kwok", "kube-controller-manager", "kube-apiserver", "etcd"):
            self.stop_one(name)

    def up(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "certs").mkdir(parents=True)
        subprocess.run(["openssl", "genrsa", "-out", str(self.root / "sa.key"), "2048"], check=True, capture_output=True)
        subprocess.run(["openssl", "rsa", "-in", str(self.root / "sa.key"), "-pubout", "-out", str(self.root / "sa.pub")],
                       check=True, capture_output=True)
        token = os.urandom(16).hex()
        util.write_file(self.root / "tokens.csv", "%s,sim-admin,sim-admin,system:masters\n" % token, 0o600)
        util.write_file(self.kubeconfig, json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "sim",
            "clusters": [{"name": "sim", "cluster": {"server": "https://127.0.0.1:%d" % API_PORT,
                                                     "insecure-skip-tls-verify": True}}],
            "users": [{"name": "sim", "user": {"token": token}}],
            "contexts": [{"name": "sim", "context": {"cluster": "sim", "user": "sim"}}]}), 0o600)
        self.start("etcd", [str(self.bin / "etcd"), "--data-dir", str(self.root / "etcd"), "--quota-backend-bytes", "8589934592",
                            "--listen-client-urls", "http://127.0.0.1:%d" % ETCD_PORT,
                            "--advertise-client-urls", "http://127.0.0.1:%d" % ETCD_PORT,
                            "--listen-peer-urls", "http://127.0.0.1:%d" % (ETCD_PORT + 1)])
        self.start("kube-apiserver", [
            str(self.bin / "kube-apiserver"), "--etcd-servers", "http://127.0.0.1:%d" % ETCD_PORT,
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", str(API_PORT),
            "--cert-dir", str(self.root / "certs"), "--token-auth-file", str(self.root / "tokens.csv"),
            "--authorization-mode", "RBAC", "--service-account-issuer", "https://kubernetes.default.svc",
            "--service-account-key-file", str(self.root / "sa.pub"),
            "--service-account-signing-key-file", str(self.root / "sa.key"),
            "--service-cluster-ip-range", "%s,%s" % (SERVICE_V4, SERVICE_V6),
            "--max-requests-inflight", "800", "--max-mutating-requests-inflight", "400"])
        self.wait(lambda: self.kubectl("get", "--raw", "/readyz", check=False).strip() == "ok", 120, "kube-apiserver /readyz")
        self.controller_manager(dual=False)
        stages = self.root / "kwok-stages.yaml"
        util.write_file(stages, kwok_stages())
        self.start("kwok", [str(kwok_binary()), "--kubeconfig", str(self.kubeconfig), "--config", str(stages),
                            "--manage-nodes-with-annotation-selector", "%s=fake" % FAKE, "--node-lease-duration-seconds", "40"])
        self.kubectl("create", "namespace", NAMESPACE)
        # No service account controller runs here: the namespace's default ServiceAccount, created by hand.
        self.kubectl("-n", NAMESPACE, "create", "serviceaccount", "default")
        # The pods' owner: kubectl drain evicts pods whose controller exists (no ReplicaSet controller runs here).
        self.kubectl("create", "-f", "-", stdin=json.dumps({
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "sim", "namespace": NAMESPACE},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "sim"}}, "template": {
                "metadata": {"labels": {"app": "sim"}}, "spec": {"containers": [{"name": "c", "image": "sim"}]}}}}))

    def controller_manager(self, dual: bool) -> None:
        """(Re)start kube-controller-manager: node IPAM single-stack, or dual-stack with per-family masks."""
        self.stop_one("kube-controller-manager")
        cidrs = "%s,%s" % (POD_V4, POD_V6) if dual else POD_V4
        masks = ["--node-cidr-mask-size-ipv4", "24", "--node-cidr-mask-size-ipv6", "64"] if dual else ["--node-cidr-mask-size", "24"]
        self.start("kube-controller-manager", [
            str(self.bin / "kube-controller-manager"), "--kubeconfig", str(self.kubeconfig), "--leader-elect=false",
            "--secure-port", "0", "--controllers", "nodeipam,podgc,garbagecollector", "--allocate-node-cidrs=true",
            "--cluster-cidr", cidrs, *masks,
            "--service-cluster-ip-range", "%s,%s" % (SERVICE_V4, SERVICE_V6) if dual else SERVICE_V4,
            "--kube-api-qps", "500", "--kube-api-burst", "1000"])

    @staticmethod
    def wait(ready: Callable[[], bool], timeout: float, what: str) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if ready():
                return time.monotonic() - started
            time.sleep(0.5)
        raise SystemExit("timed out after %d s waiting for %s" % (timeout, what))


def fake_node(index: int, dual: bool = False) -> Dict[str, Any]:
    name = "sim-%05d" % index
    addresses = [{"type": "InternalIP", "address": "172.16.%d.%d" % (index // 250, 1 + index % 250)}]
    if dual:
        addresses.append({"type": "InternalIP", "address": "fd00:172:16::%x" % (index + 1)})
    # With a Hostname address too, KWOK's node-initialize stage leaves the addresses alone (it rewrites the
    # list when one of the two kinds is missing).
    addresses.append({"type": "Hostname", "address": name})
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {FAKE: "fake", "node.alpha.kubernetes.io/ttl": "0"},
                         "labels": {"type": "kwok", "kubernetes.io/hostname": name, "sim/tier": "bench"}},
            "spec": {"taints": [{"key": FAKE, "value": "fake", "effect": "NoSchedule"}]},
            "status": {"addresses": addresses, "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                       "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                       "nodeInfo": dict({key: "" for key in ("machineID", "systemUUID", "bootID", "kernelVersion", "osImage",
                                                              "containerRuntimeVersion", "kubeProxyVersion")},
                                        kubeletVersion="v1.34.12", operatingSystem="linux", architecture="amd64")}}


def fake_pod(node: str, number: int, rs_uid: str) -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "%s-%d" % (node, number), "namespace": NAMESPACE, "labels": {"app": "sim"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "sim", "uid": rs_uid,
                                              "controller": True}]},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "sim"}], "automountServiceAccountToken": False,
                     "tolerations": [{"key": FAKE, "operator": "Exists", "effect": "NoSchedule"}]}}


def create_in_chunks(cp: ControlPlane, objects: List[Dict[str, Any]], chunk: int = 250) -> None:
    for start in range(0, len(objects), chunk):
        cp.kubectl("create", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects[start:start + chunk]}))


def nodes_json(cp: ControlPlane) -> Dict[str, Any]:
    return json.loads(cp.kubectl("get", "nodes", "-o", "json"))


def grow(cp: ControlPlane, have: int, want: int, pods_per_node: int) -> None:
    """Register Nodes have..want-1 and their pods; wait until every Node has a podCIDR and is Ready, every pod Running."""
    if want <= have:
        return
    create_in_chunks(cp, [fake_node(i) for i in range(have, want)])
    rs_uid = json.loads(cp.kubectl("-n", NAMESPACE, "get", "replicaset", "sim", "-o", "json"))["metadata"]["uid"]
    create_in_chunks(cp, [fake_pod("sim-%05d" % i, n, rs_uid) for i in range(have, want) for n in range(pods_per_node)])

    def settled() -> bool:
        items = nodes_json(cp)["items"]
        ready = [n for n in items if n["spec"].get("podCIDRs") and any(
            c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))]
        running = cp.kubectl("-n", NAMESPACE, "get", "pods", "--field-selector", "status.phase!=Running", "-o", "name")
        return len(ready) == want and not running.strip()
    cp.wait(settled, 120 + want * 0.2, "%d Nodes Ready with a podCIDR and their pods Running" % want)


def timed(func: Callable[[], Any], repeat: int) -> Tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def plan_of(items: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The conversion plan over every Node, as preflight computes it (addresses given, the cluster read)."""
    nodes = {n["metadata"]["name"]: "%s,fd00:172:16::%x" % (n["status"]["addresses"][0]["address"], i + 1)
             for i, n in enumerate(items)}
    current = {"server_version": "v1.34.12", "node_objects": items, "hosts": list(nodes),
               "service_cidrs": {"cp": SERVICE_V4}, "pod_cidrs": {"cp": POD_V4},
               "controller_manager": {"cp": {"cluster-cidr": POD_V4, "node-cidr-mask-size": "24"}}}
    return conversion_plan("%s,%s" % (POD_V4, POD_V6), "%s,%s" % (SERVICE_V4, SERVICE_V6), "v1.34.12", nodes, current=current)


VERIFY_PLAY = """
- name: The verify role's node-level checks
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run them
      ansible.builtin.include_role:
        name: dualstack.kubernetes.verify
        tasks_from: nodes
      vars:
        verify_plan: {families: %(families)s, nodes_api_only: []}
        verify_kubectl: %(kubectl)s
        verify_families: %(families)s
        verify_node_rows: []
        verify_results: []
        verify_pod_cidrs: true
    - name: Count them
      ansible.builtin.debug:
        msg: "CHECKS {{ verify_results | length }} FAILED {{ verify_results | rejectattr('ok') | list | length }}"
"""


def verify_role(cp: ControlPlane, families: List[str]) -> Tuple[float, str]:
    """The verify role's nodes.yml through ansible-playbook (start-up included); its check counts."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as play:
        play.write(VERIFY_PLAY % {"families": json.dumps(families),
                                  "kubectl": json.dumps("%s --kubeconfig %s" % (cp.bin / "kubectl", cp.kubeconfig))})
    started = time.perf_counter()
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable,
                           play.name], capture_output=True, text=True,
                          check=False, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    seconds = time.perf_counter() - started
    Path(play.name).unlink()
    counts = re.findall(r"CHECKS (\d+) FAILED (\d+)", proc.stdout)
    if proc.returncode != 0:
        raise SystemExit("verify's nodes.yml failed: %s" % (proc.stdout + proc.stderr)[-2000:])
    return seconds, "%s checks, %s failed" % counts[-1] if counts else "no count"


def per_node_docs_way(cp: ControlPlane, names: List[str]) -> float:
    """Seconds per Node for the docs' check: one kubectl go-template call per node (sequential, as a shell loop)."""
    started = time.perf_counter()
    for name in names:
        cp.kubectl("get", "node", name, "-o", "go-template=" + GO_TEMPLATE)
    return (time.perf_counter() - started) / max(len(names), 1)


def reregister(cp: ControlPlane, names: List[str], batch: int) -> Tuple[float, List[float]]:
    """The nodes role's API steps for each Node (record, cordon, drain, delete, create it again cordoned with its
    metadata, its kubelet's report of both InternalIPs, wait for a podCIDR per family, uncordon), batch side by side.
    Returns the total seconds and the seconds of each batch."""
    def one(name: str) -> None:
        node = json.loads(cp.kubectl("get", "node", name, "-o", "json"))
        record = node_record(node)
        cp.kubectl("cordon", name)
        cp.kubectl("drain", name, "--ignore-daemonsets", "--timeout=300s")
        cp.kubectl("delete", "node", name, "--wait=true", "--timeout=120s")
        cp.kubectl("create", "-f", "-", stdin=json.dumps(registered_node(name, record)))
        index = int(name.split("-")[1])
        # What the kubelet reports once it runs with a dual --node-ip (KWOK keeps the addresses it finds).
        cp.kubectl("patch", "node", name, "--subresource", "status", "--type", "merge", "-p",
                   json.dumps({"status": {"addresses": fake_node(index, dual=True)["status"]["addresses"]}}))
        ControlPlane.wait(lambda: len(json.loads(cp.kubectl("get", "node", name, "-o", "json"))["spec"].get("podCIDRs", [])) == 2,
                          120, "two podCIDRs on %s" % name)
        cp.kubectl("uncordon", name)

    batches = []
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=batch) as pool:
        for start in range(0, len(names), batch):
            began = time.perf_counter()
            list(pool.map(one, names[start:start + batch]))
            batches.append(time.perf_counter() - began)
    return time.perf_counter() - started, batches


def recreate_all(cp: ControlPlane, count: int) -> float:
    """Every Node deleted and created again with both InternalIPs; seconds until the last has a podCIDR per family."""
    started = time.perf_counter()
    # Not `--wait=true`: with 5,000 Nodes kubectl kept waiting (idle, 8 min) after the last one was gone.
    cp.kubectl("delete", "nodes", "-l", "type=kwok", "--wait=false")
    cp.wait(lambda: not cp.kubectl("get", "nodes", "-l", "type=kwok", "-o", "name").strip(), 600, "the Nodes deleted")
    create_in_chunks(cp, [fake_node(i, dual=True) for i in range(count)])
    cp.wait(lambda: sum(len(n["spec"].get("podCIDRs", [])) == 2 for n in nodes_json(cp)["items"]) == count,
            300 + count * 0.2, "two podCIDRs on %d Nodes" % count)
    return time.perf_counter() - started


def duplicates(items: List[Dict[str, Any]]) -> int:
    cidrs = [cidr for n in items for cidr in n["spec"].get("podCIDRs", [])]
    return len(cidrs) - len(set(cidrs))


def api_seconds(measured: Dict[int, float], size: int) -> float:
    """API seconds of a batch of ``size``: straight lines between the measured batch sizes, and on beyond the last two."""
    points = sorted(measured.items())
    if len(points) == 1:
        return points[0][1]
    for (s1, a1), (s2, a2) in zip(points, points[1:]):
        if size <= s2 or (s2, a2) == points[-1]:
            return a1 + (a2 - a1) * (size - s1) / (s2 - s1)
    return points[-1][1]


def projection(measured: Dict[int, float], drain: float = 60.0) -> Dict[str, Dict[str, float]]:
    """Hours for 500 and 5,000 real nodes at ``drain`` s per drain, per batch size: each batch takes the drain (its
    nodes drain side by side) plus the API seconds of a batch of its size."""
    out: Dict[str, Dict[str, float]] = {}
    for total in (500, 5000):
        out[str(total)] = {}
        for label in ("1", "5%", "10%", "20%"):
            size = size_of(label, total, "batch")
            out[str(total)][label] = round(-(-total // size) * (drain + max(api_seconds(measured, size), 0.0)) / 3600, 2)
    return out


def plot(results: Dict[str, Any], path: Path) -> None:
    """Time vs node count per measured step; projected rollout hours vs batch size."""
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    sizes = [row["nodes"] for row in results["sizes"]]
    for key, label in (("read_s", "preflight: read every Node"), ("plan_s", "preflight: plan over them"),
                       ("verify_role_s", "verify: the role's node checks (ansible-playbook)"),
                       ("docs_total_s", "verify the docs' way: kubectl per node")):
        left.plot(sizes, [row[key] for row in results["sizes"]], marker="o", label=label)
    if results.get("ipam"):
        left.plot([results["ipam"]["nodes"]], [results["ipam"]["seconds"]], marker="s", linestyle="",
                  label="node IPAM: every Node re-created, two podCIDRs each")
    left.axhline(10, color="grey", linestyle=":", label="goal for verify at 5,000: 10 s")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("Nodes (KWOK)")
    left.set_ylabel("seconds")
    left.set_title("Measured, %s" % results["date"])
    left.legend(fontsize=7)
    if results.get("projection"):
        labels = ["1", "5%", "10%", "20%"]
        for total, hours in results["projection"].items():
            right.plot(labels, [hours[label] for label in labels], marker="o", label="%s real nodes" % total)
        right.set_yscale("log")
        right.set_xlabel("dualstack_nodes_batch")
        right.set_ylabel("hours (60 s per drain + measured API time)")
        right.set_title("Projected node rollout")
        right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(str(path), dpi=90)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--nodes", default="3,1000,5000", help="sizes, ascending (default 3,1000,5000)")
    parser.add_argument("--pods-per-node", type=int, default=2)
    parser.add_argument("--sample", type=int, default=100, help="Nodes checked the docs' way per size (projected)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reregister", action="store_true",
                        help="after the last size: batched re-registrations timed, then every Node re-created dual-stack")
    parser.add_argument("--batches", default="1,10,50", help="batch sizes whose re-registration is timed")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"), help="where scale.json and scale.png go")
    parser.add_argument("--keep", action="store_true", help="leave the control plane running")
    args = parser.parse_args()
    sizes = [int(s) for s in args.nodes.split(",")]
    binaries = util.ensure_binaries()
    cp = ControlPlane(binaries, sim_dir())
    results: Dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "kubernetes": binaries.parent.name, "kwok": KWOK_VERSION,
                               "pods_per_node": args.pods_per_node, "sizes": []}
    print("scale simulation %s: lab binaries %s, KWOK %s, control plane on 127.0.0.1:%d"
          % (results["date"], results["kubernetes"], KWOK_VERSION, API_PORT))
    # A TERM (make interrupted, CI's time limit) stops the control plane like the end of the run does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        cp.up()
        have = 0
        for size in sizes:
            began = time.perf_counter()
            grow(cp, have, size, args.pods_per_node)
            register_s = time.perf_counter() - began
            have = size
            print("\n== %d Nodes, %d pods (registered, podCIDRs by the real node IPAM, Ready: %.0f s)"
                  % (size, size * args.pods_per_node, register_s))
            read, listed = timed(lambda: nodes_json(cp), args.repeat)
            items = listed["items"]
            plan_s, plan = timed(lambda: plan_of(items), args.repeat)
            print("preflight: read every Node %.2f s (%.1f MB), plan over them %.2f s (masks %s)"
                  % (read, len(json.dumps(listed)) / 1e6, plan_s, plan["node_masks"]))
            role_s, counts = verify_role(cp, ["IPv4"])
            sample = [n["metadata"]["name"] for n in items[:args.sample]]
            per_node = per_node_docs_way(cp, sample)
            docs_total = per_node * size
            print("verify node checks (single-stack): the role's nodes.yml %.1f s (%s); the docs' way %.3f s per node "
                  "x %d = %.0f s (%s); ratio %.0fx"
                  % (role_s, counts, per_node, size, docs_total,
                     "measured" if len(sample) == size else "%d sampled, projected" % len(sample), docs_total / role_s))
            results["sizes"].append({"nodes": size, "register_s": round(register_s, 1), "read_s": round(read, 3),
                                     "plan_s": round(plan_s, 3), "verify_role_s": round(role_s, 2), "verify_counts": counts,
                                     "docs_per_node_s": round(per_node, 4), "docs_total_s": round(docs_total, 1),
                                     "docs_sampled": len(sample), "ratio": round(docs_total / role_s, 1)})
        if args.reregister:
            cp.controller_manager(dual=True)
            measured: Dict[int, float] = {}
            first = 0
            print("\n== re-registration, the nodes role's API steps (record, cordon, drain, delete, create, wait for two "
                  "podCIDRs, uncordon), batches side by side:")
            for batch in (int(b) for b in args.batches.split(",")):
                names = ["sim-%05d" % i for i in range(first, first + max(2 * batch, 5))]
                first += len(names)
                total, batches = reregister(cp, names, batch)
                measured[batch] = statistics.median(batches)
                print("  batch %3d: %d Nodes in %.1f s, median %.2f s per batch (%.2f s per node)"
                      % (batch, len(names), total, measured[batch], total / len(names)))
            results["reregister"] = {str(k): round(v, 2) for k, v in measured.items()}
            results["projection"] = projection(measured)
            print("projection, hours (60 s per drain + the measured API time of a batch; straight lines beyond the largest "
                  "measured batch; real kubelets add their restart, ~15 s on the lab; Ansible runs at most `forks` hosts of "
                  "a batch at once, so set forks to the batch size): %s" % json.dumps(results["projection"]))
            seconds = recreate_all(cp, have)
            items = nodes_json(cp)["items"]
            results["ipam"] = {"nodes": have, "seconds": round(seconds, 1), "duplicates": duplicates(items)}
            print("== node IPAM, dual-stack (/24 + /64): %d Nodes deleted and created again, all with two podCIDRs "
                  "after %.1f s; podCIDRs handed out twice: %d" % (have, seconds, results["ipam"]["duplicates"]))
            role_s, counts = verify_role(cp, ["IPv4", "IPv6"])
            results["ipam"].update(verify_role_s=round(role_s, 2), verify_counts=counts)
            print("verify node checks (dual-stack) at %d Nodes: the role's nodes.yml %.1f s (%s)" % (have, role_s, counts))
    finally:
        if not args.keep:
            cp.stop()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=1) + "\n")
    plot(results, out / "scale.png")
    print("\nwrote %s and %s" % (out / "scale.json", out / "scale.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
