"""End-to-end check of the lab's pod network agent picking up IPv6 on its own.

Needs a running lab (``dslab up``) and CHANGES it: kube-controller-manager
gets a dual-stack ``--cluster-cidr`` and one worker is re-registered with a
dual ``--node-ip`` (drain, delete the Node, restart the kubelet) -- the
minimum the collection will do per node.  Then it asserts, with no manual
step on the pod network:

* the Node got an IPv4 and an IPv6 podCIDR and two InternalIPs;
* the node's CNI config covers both podCIDRs (written by the dslab-podnet
  agent: containerd does not re-render its template once a config exists);
* IPv6 forwarding is on in that node;
* every other node routes the new IPv6 podCIDR via the node's IPv6 address;
* a pod on the node gets both families and answers HTTP over IPv6 from
  another node.

Run ``dslab down`` afterwards (the lab is no longer pristine single-stack).

Usage: PYTHONPATH=lab python3 tests/lab/podnet_dualstack.py [WORKER]
"""

from __future__ import annotations

import functools
import ipaddress
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))

from dslab import cluster, net, nodes  # noqa: E402
from dslab.util import wait_for  # noqa: E402

POD_V6 = "fd00:10:244::/56"
PROBE = "dslab-v6probe"


def say(msg: str) -> None:
    print(f"[podnet-dualstack] {msg}", flush=True)


def node_obj(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cluster.kubectl("get", "node", name, "-o", "json"))
    return data


def make_controller_manager_dual() -> None:
    cp = net.control_plane()
    manifest = nodes.node_rootfs(cp) / "etc/kubernetes/manifests/kube-controller-manager.yaml"
    text = manifest.read_text()
    if POD_V6 in text:
        return
    old = f"--cluster-cidr={cluster.POD_SUBNET}"
    assert old in text, "controller-manager has no single-stack --cluster-cidr"
    manifest.write_text(text.replace(old, f"{old},{POD_V6}"))
    say("kube-controller-manager: dual-stack --cluster-cidr; waiting for its restart")
    time.sleep(5)
    wait_for("controller-manager", lambda: "fd00:10:244" in cluster.kubectl(
        "-n", "kube-system", "get", "pod", f"kube-controller-manager-{cp.name}", "-o",
        "jsonpath={.spec.containers[0].command}", check=False, timeout=20), 120, 2)
    wait_for("controller-manager Ready", lambda: "true" in cluster.kubectl(
        "-n", "kube-system", "get", "pod", f"kube-controller-manager-{cp.name}", "-o",
        "jsonpath={.status.containerStatuses[0].ready}", check=False, timeout=20), 120, 2)


def reregister_dual(n: net.Node) -> None:
    flags = nodes.node_rootfs(n) / "var/lib/kubelet/kubeadm-flags.env"
    text = flags.read_text()
    if n.ipv6 not in text:
        flags.write_text(text.replace(f"--node-ip={n.ipv4}", f"--node-ip={n.ipv4},{n.ipv6}"))
    cluster.kubectl("drain", n.name, "--ignore-daemonsets", "--delete-emptydir-data",
                    "--timeout=120s", timeout=180)
    cluster.kubectl("delete", "node", n.name, "--wait=true", timeout=120)
    nodes.node_run(n, ["systemctl", "restart", "kubelet"])
    say(f"{n.name}: re-registering with --node-ip={n.ipv4},{n.ipv6}")
    wait_for(f"{n.name} dual podCIDRs", lambda: len(
        node_obj(n.name)["spec"].get("podCIDRs", [])) == 2, 120, 2)


def main(argv: list[str]) -> int:
    n = net.node(argv[0] if argv else "w1")
    assert n.role == "worker", "pick a worker"
    make_controller_manager_dual()
    reregister_dual(n)
    obj = node_obj(n.name)
    cidrs = obj["spec"]["podCIDRs"]
    v6 = next(c for c in cidrs if ipaddress.ip_network(c).version == 6)
    ips = [a["address"] for a in obj["status"]["addresses"] if a["type"] == "InternalIP"]
    assert ips == [n.ipv4, n.ipv6], ips
    say(f"{n.name}: podCIDRs {cidrs}, InternalIPs {ips}")

    conf = nodes.node_rootfs(n) / "etc/cni/net.d/10-containerd-net.conflist"
    wait_for("dual CNI config", lambda: v6 in conf.read_text(), 30, 1)
    ranges = json.loads(conf.read_text())["plugins"][0]["ipam"]["ranges"]
    assert [r[0]["subnet"] for r in ranges] == cidrs, ranges
    fwd = nodes.node_run(n, ["sysctl", "-n", "net.ipv6.conf.all.forwarding"]).stdout.strip()
    assert fwd == "1", fwd
    say(f"{n.name}: CNI config covers {cidrs}; IPv6 forwarding on")

    def routed(o: net.Node) -> bool:
        out = nodes.node_run(o, ["ip", "-6", "route", "show", "proto", "177"]).stdout
        return f"{v6} via {n.ipv6}" in out

    for other in net.nodes():
        if other != n:
            wait_for(f"{other.name} route to {v6}", functools.partial(routed, other), 30, 1)
    say(f"every other node routes {v6} via {n.ipv6}")

    cluster.kubectl("delete", "pod", PROBE, "--ignore-not-found", "--wait=true")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": PROBE},
           "spec": {"nodeName": n.name, "terminationGracePeriodSeconds": 1,
                    "containers": [{"name": "c", "image": "dualstack.lab/testbox:1",
                                    "imagePullPolicy": "Never"}]}}
    cluster.kubectl("apply", "-f", "-", input_text=json.dumps(pod))
    cluster.kubectl("wait", "--for=condition=Ready", f"pod/{PROBE}", "--timeout=90s",
                    timeout=120)
    pod_ips = [p["ip"] for p in json.loads(cluster.kubectl(
        "get", "pod", PROBE, "-o", "json"))["status"]["podIPs"]]
    assert sorted(ipaddress.ip_address(i).version for i in pod_ips) == [4, 6], pod_ips
    pod_v6 = next(i for i in pod_ips if ":" in i)
    other = next(o for o in net.nodes() if o != n and o.role == "worker")
    out = nodes.node_run(other, ["curl", "-sS", "-m", "5",
                                 f"http://[{pod_v6}]:8080/cgi-bin/whoami"]).stdout
    assert f"host: {PROBE}" in out, out
    say(f"pod IPs {pod_ips}; {other.name} -> [{pod_v6}]:8080 answered: "
        + out.strip().replace("\n", "; "))
    cluster.kubectl("delete", "pod", PROBE, "--wait=false")
    say("PASS (run `dslab down` now: the lab is no longer single-stack)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
