#!/usr/bin/env python3
"""kubeadm agrees with the conversion: its upgrade keeps both families, and a control plane joined afterwards is dual.

Needs a converted (dual-stack) lab of the kubeadm style; the replacement needs the HA lab
(DUALSTACK_LAB_CONTROL_PLANES=3). Checks, one line each, exit 1 when one fails:

* ``kubeadm upgrade diff <version>`` on cp1 (what an upgrade to the running version would change in the
  static Pod manifests, computed from the kubeadm-config ConfigMap): no line it changes names the Service range,
  the pod range or the node masks;
* ``kubeadm upgrade apply <version> --dry-run`` on cp1: the manifests it would write carry the plan's dual-stack
  ``--service-cluster-ip-range``, ``--cluster-cidr`` and per-family node masks, and every node's kubelet keeps
  both ``--node-ip`` addresses (``kubeadm-flags.env`` untouched);
* (HA) cp3 is replaced: ``kubeadm reset`` (its etcd member goes; the CNI configuration and ``cni0`` removed, as
  kubeadm reset asks), its Node deleted, ``kubeadm join
  --control-plane`` again with the lab's plain JoinConfiguration (one ``--node-ip``). The kube-apiserver and
  kube-controller-manager kubeadm writes for it run both ranges (from kubeadm-config), HAProxy has it UP again;
  then ``site.yml`` converts what is left (its kubelet's ``--node-ip``) and verifies the cluster.
Run from the checkout with the venv's ansible on PATH and ANSIBLE_COLLECTIONS_PATH set.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kill_points import lab_inputs  # noqa: E402  pylint: disable=wrong-import-position
from late_join import plain_env  # noqa: E402  pylint: disable=wrong-import-position
from workload import REPO, dslab, lab_target, require_collection  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, str(REPO / "lab"))
from dslab import cluster, lb, net, nodes  # noqa: E402  pylint: disable=wrong-import-position

RANGE_FLAGS = ("--service-cluster-ip-range", "--cluster-cidr", "--node-cidr-mask-size")
TARGET = lab_target()


def target_ranges(key: str) -> str:
    """The target's ranges of ``key`` as a flag value (the target gives a list or a comma-separated string)."""
    value = TARGET[key]
    return value if isinstance(value, str) else ",".join(value)
FAILED: list[str] = []


def check(ok: bool, what: str, detail: str = "") -> None:
    """Print one check's line; remember a failure."""
    print("%s %s%s" % ("ok  " if ok else "FAIL", what, (": " + detail) if detail and not ok else ""), flush=True)
    if not ok:
        FAILED.append(what)


def on(node: net.Node, *argv: str, timeout: float = 600) -> tuple[int, str]:
    """Run a command in a node; return its exit code and output (stdout and stderr)."""
    proc = nodes.node_run(node, list(argv), check=False, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def flag_value(text: str, flag: str) -> list[str]:
    """Every value of ``--flag=value`` in ``text`` (manifests print it as a list item)."""
    return re.findall(re.escape(flag) + r"=(\S+?)[\"']?$", text, re.MULTILINE)


def kubelet_node_ips() -> dict[str, str]:
    """Each lab node's ``--node-ip`` in its kubeadm-flags.env."""
    result = {}
    for node in net.nodes():
        _, text = on(node, "cat", "/var/lib/kubelet/kubeadm-flags.env")
        match = re.search(r"--node-ip=([^\s\"]+)", text)
        result[node.name] = match.group(1) if match else ""
    return result


def upgrade_checks(version: str) -> None:
    """``kubeadm upgrade diff`` and ``apply --dry-run`` for the running version keep every range."""
    cp = net.control_plane()
    service = target_ranges("dualstack_service_cidrs")
    pod = target_ranges("dualstack_pod_cidrs")
    before = kubelet_node_ips()
    code, diff = on(cp, "kubeadm", "upgrade", "diff", version)
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    touching = [line for line in changed if any(flag in line for flag in RANGE_FLAGS)]
    check(code == 0 and not touching, "kubeadm upgrade diff %s changes no range or node mask" % version,
          "exit %d; %s" % (code, touching or diff[-800:]))
    code, dry = on(cp, "kubeadm", "upgrade", "apply", version, "--dry-run", "--yes", "--ignore-preflight-errors=all")
    check(code == 0, "kubeadm upgrade apply %s --dry-run runs" % version, dry[-1500:])
    services, pods = set(flag_value(dry, "--service-cluster-ip-range")), set(flag_value(dry, "--cluster-cidr"))
    check(services == {service}, "the manifests it would write keep --service-cluster-ip-range=%s" % service, str(services))
    check(pods == {pod}, "the manifests it would write keep --cluster-cidr=%s" % pod, str(pods))
    masks = flag_value(dry, "--node-cidr-mask-size-ipv6"), flag_value(dry, "--node-cidr-mask-size")
    check(bool(masks[0]) and not masks[1], "and per-family node masks, no legacy --node-cidr-mask-size", str(masks))
    after = kubelet_node_ips()
    check(after == before, "every kubelet's --node-ip in kubeadm-flags.env is as the conversion left it",
          "%s -> %s" % (before, after))


def replace_cp3() -> None:
    """Reset cp3, join it again as a control plane, check its manifests and the load balancer, run site.yml."""
    cp3 = net.node("cp3")
    code, out = on(cp3, "kubeadm", "reset", "-f", "--cri-socket", cluster.CRI_SOCKET)
    check(code == 0 and "etcd" in out.lower(), "kubeadm reset on dslab-cp3 (its etcd member removed)", out[-800:])
    # What kubeadm reset tells the operator to clean up: the CNI configuration and interfaces. The re-joined Node gets
    # new podCIDRs; a pod started from the old configuration would give cni0 the old gateway address again, and the
    # bridge plugin refuses a cni0 whose address is not the new one.
    on(cp3, "sh", "-c", "rm -f /etc/cni/net.d/*; ip link delete cni0; true")
    cluster.kubectl("delete", "node", cp3.name, "--ignore-not-found", "--wait=true", timeout=180)
    members = on(net.control_plane(), "sh", "-c", "crictl exec $(crictl ps -q --name etcd) etcdctl --cacert "
                 "/etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/server.crt --key "
                 "/etc/kubernetes/pki/etcd/server.key member list")[1]
    check(cp3.name not in members, "dslab-cp3 is no etcd member any more", members)
    cluster.kubeadm_join(cp3)
    manifests = cluster_manifests(cp3)
    service = target_ranges("dualstack_service_cidrs")
    pod = target_ranges("dualstack_pod_cidrs")
    check(flag_value(manifests["kube-apiserver"], "--service-cluster-ip-range") == [service],
          "the re-joined dslab-cp3's kube-apiserver runs --service-cluster-ip-range=%s (from kubeadm-config)" % service,
          str(flag_value(manifests["kube-apiserver"], "--service-cluster-ip-range")))
    check(flag_value(manifests["kube-controller-manager"], "--cluster-cidr") == [pod],
          "its kube-controller-manager runs --cluster-cidr=%s" % pod,
          str(flag_value(manifests["kube-controller-manager"], "--cluster-cidr")))
    try:
        lb.wait_all_up(180)
        check(True, "HAProxy has dslab-cp3's kube-apiserver UP again")
    except Exception as exc:  # pylint: disable=broad-except
        check(False, "HAProxy has dslab-cp3's kube-apiserver UP again", str(exc))
    with lab_inputs() as (inventory, varsfile):
        proc = subprocess.run(["ansible-playbook", "-i", inventory, str(REPO / "playbooks" / "site.yml"),
                               "-e", "@" + varsfile], capture_output=True, text=True, env=plain_env(), check=False)
        recap = [line for line in proc.stdout.splitlines() if " : ok=" in line]
        check(proc.returncode == 0, "site.yml converts the re-joined dslab-cp3 and verifies the cluster",
              proc.stdout[-3000:])
        print("     " + "\n     ".join(recap))
    ips = [a["address"] for a in json.loads(cluster.kubectl("get", "node", cp3.name, "-o", "json"))["status"]["addresses"]
           if a["type"] == "InternalIP"]
    check(ips == [cp3.ipv4, cp3.ipv6], "dslab-cp3 has an InternalIP per family", str(ips))


def cluster_manifests(node: net.Node) -> dict[str, str]:
    """The node's kube-apiserver and kube-controller-manager static Pod manifests."""
    root = nodes.node_rootfs(node) / "etc/kubernetes/manifests"
    return {name: (root / (name + ".yaml")).read_text() for name in ("kube-apiserver", "kube-controller-manager")}


def main() -> int:
    version = on(net.control_plane(), "kubeadm", "version", "-o", "short")[1].strip()
    upgrade_checks(version)
    if net.is_ha():
        replace_cp3()
    print("FAILED: %d check(s): %s" % (len(FAILED), "; ".join(FAILED)) if FAILED else "passed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    require_collection()
    sys.exit(main())
