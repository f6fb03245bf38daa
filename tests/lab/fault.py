#!/usr/bin/env python3
"""A component that does not come back is restored; the cluster stays healthy.

Needs a running single-stack lab. ``fault.py`` (kube-apiserver): runs tests/lab/fault.yml with
``dualstack_fault=kube-apiserver`` (site.yml's preflight, then its conversion on a plan whose kube-apiserver
has a third Service range, which it refuses at start; no role has a test-only branch) and checks: the run fails naming kube-apiserver, the flag and the apiserver's
own error; the manifest is byte-identical to the one before (mode 0600 kept); /readyz answers;
the Nodes, Services and ConfigMaps are as before (single-stack); nothing after the control plane ran.

``fault.py kubelet``: the same with ``dualstack_fault=kubelet`` (the first control plane's kubelet gets a
third --node-ip in the plan, which it refuses at start): the run fails naming the node, the
flag and the kubelet's own error line; that node's kubelet flags file is byte-identical to the one
before (mode kept); the Node is Ready again with its old InternalIP; the other kubelets and the
Nodes were not touched (the control plane was converted before: a re-run of site.yml goes on).
``fault.py kube-controller-manager`` (made for the HA lab, runs on any): the plan gives kube-controller-manager an
IPv6 node mask wider than the IPv6 pod range. Its flags parse and every instance answers /healthz, so each
control plane's own gate may pass (a standby runs no controllers); node IPAM refuses to start only in the instance
that leads. Checks: the run fails naming kube-controller-manager; every control plane's kube-controller-manager
manifest is byte-identical to the one before (all of them restored, mode kept) and each runs its old
``--cluster-cidr`` healthy again; the apiservers stay converted and /readyz answers; the Nodes are untouched
(nothing after the control plane ran).
Run from the checkout with the venv's ansible on PATH and ANSIBLE_COLLECTIONS_PATH set.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bad_inputs import dslab, fingerprint, run_playbook  # noqa: E402  pylint: disable=wrong-import-position
from workload import require_collection  # noqa: E402  pylint: disable=wrong-import-position

# kubeadm's static Pod manifest, or a hand-installed cluster's unit (DUALSTACK_LAB_STYLE=units).
APISERVER = {"kubeadm": ("/etc/kubernetes/manifests/kube-apiserver.yaml", "600"),
             "units": ("/etc/systemd/system/kube-apiserver.service", "644")}


def report(checks: list, output: str, timing: str, marker: str, label: str) -> int:
    """Print each check, the timing and the quoted log line after ``marker``; 1 when a check failed."""
    for name, passed in checks:
        print("%-4s %s" % ("ok" if passed else "FAIL", name))
    print(timing)
    quoted = output.partition(marker)[2].split("\n")[0].strip()
    print("%s: %s" % (label, quoted[-600:] or "(none)"))
    if not all(passed for _, passed in checks):
        print(output[-4000:])
        return 1
    return 0


# site.yml's plays with a broken plan put in between (tests/lab/fault.yml).
FAULT_PLAYBOOK = str(Path(__file__).resolve().parent / "fault.yml")
KUBELET_FLAGS = {"kubeadm": "/var/lib/kubelet/kubeadm-flags.env", "units": "/etc/systemd/system/kubelet.service"}


def node_view(name: str) -> tuple:
    """A Node's InternalIPs and Ready condition."""
    node = json.loads(dslab("kubectl", "get", "node", name, "-o", "json"))
    ips = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
    ready = [c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready"]
    return ips, ready


def kubelet_fault() -> int:
    """The kubelet of the first node refuses its new flags: restored, Ready again, the run fails saying why."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as inv:
        inv.write(dslab("inventory"))
    style = "kubeadm" if dslab("ssh", "cp1", "test -f %s && echo yes || true" % KUBELET_FLAGS["kubeadm"]).strip() else "units"
    path = KUBELET_FLAGS[style]
    read = "sha256sum %s; stat -c '%%a %%U' %s" % (path, path)
    before = {node: dslab("ssh", node, read) for node in ("cp1", "w1", "w2")}
    ips_before = {node: node_view("dslab-" + node)[0] for node in ("cp1", "w1", "w2")}
    started = time.monotonic()
    result = run_playbook(inv.name, {"dualstack_fault": "kubelet", "kubelet_timeout": 60}, {}, FAULT_PLAYBOOK)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    after = {node: dslab("ssh", node, read) for node in ("cp1", "w1", "w2")}
    ips_after, ready = node_view("dslab-cp1")
    checks = [
        ("the run fails", result.returncode != 0),
        ("the failure names the node and --node-ip", "The kubelet on dslab-cp1" in output and "--node-ip=" in output),
        ("the kubelet's own error line is quoted", "must contain either a single IP or a dual-stack pair of IPs" in output),
        ("%s restored byte for byte, mode and owner kept" % path, before["cp1"] == after["cp1"]),
        ("the Node is Ready again with its old InternalIP", ready == ["True"] and ips_after == ips_before["cp1"]),
        ("the restore is reported", "Ready again with its old flags" in output),
        ("the other kubelets untouched", before["w1"] == after["w1"] and before["w2"] == after["w2"]),
        ("nothing after the kubelets ran", "dualstack.kubernetes.nodes :" not in output),
    ]
    Path(inv.name).unlink()
    return report(checks, output, "kubelet fault run (control plane converted, kubelet 60 s timeout, restore) took %.1f s"
                  % seconds, "The kubelet's journal:", "the quoted journal")


def controller_manager_fault() -> int:
    """Every edited kube-controller-manager is restored when node IPAM refuses the plan where it leads."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as inv:
        inv.write(dslab("inventory"))
    planes = [name.removeprefix("dslab-") for name in json.loads(dslab("inventory", "--json"))["all"]["children"][
        "k8s_cluster"]["children"]["kube_control_plane"]["hosts"]]
    path = "/etc/kubernetes/manifests/kube-controller-manager.yaml"
    read = "sha256sum %s; stat -c '%%a %%U' %s" % (path, path)
    before = {node: dslab("ssh", node, read) for node in planes}
    nodes_before = {name: node_view(name)[0] for name in ("dslab-w1", "dslab-w2")}
    started = time.monotonic()
    result = run_playbook(inv.name, {"dualstack_fault": "kube-controller-manager", "control_plane_timeout": 120}, {},
                          FAULT_PLAYBOOK)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    after = {node: dslab("ssh", node, read) for node in planes}
    running = {node: dslab("ssh", node, "pgrep -a kube-controller | grep -o -- '--cluster-cidr=[^ ]*'; true").strip()
               for node in planes}
    readyz = dslab("kubectl", "get", "--raw", "/readyz").strip()
    checks = [
        ("the run fails", result.returncode != 0),
        ("the failure names kube-controller-manager", "kube-controller-manager" in output),
        ("every control plane's %s restored byte for byte, mode and owner kept (%s)" % (path, ", ".join(planes)),
         before == after),
        ("each runs its old single-stack --cluster-cidr again",
         all(value == "--cluster-cidr=10.244.0.0/16" for value in running.values())),
        ("the apiservers answer /readyz", readyz == "ok"),
        ("the Nodes untouched", {name: node_view(name)[0] for name in nodes_before} == nodes_before),
        ("nothing after the control plane ran", "dualstack.kubernetes.kubelet :" not in output),
    ]
    restored = [line.strip() for line in output.splitlines() if "Restored the kube-controller-manager of" in line]
    print("restore reported by the leader gate: %s" % (restored[0][:300] if restored else "no (the failing host's own gate "
                                                        "caught it and restored it)"))
    Path(inv.name).unlink()
    if not all(passed for _, passed in checks):
        print(output[-4000:])
    return report(checks, output, "controller-manager fault run (apiservers converted, %s) took %.1f s"
                  % (", ".join("%s %s" % item for item in running.items()), seconds), "its last lines:", "the quoted log")


def main() -> int:
    if sys.argv[1:] == ["kubelet"]:
        return kubelet_fault()
    if sys.argv[1:] == ["kube-controller-manager"]:
        return controller_manager_fault()
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as inv:
        inv.write(dslab("inventory"))
    before = fingerprint()
    started = time.monotonic()
    result = run_playbook(inv.name, {"dualstack_fault": "kube-apiserver", "control_plane_timeout": 60}, {}, FAULT_PLAYBOOK)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    after = fingerprint()
    style = "kubeadm" if dslab("ssh", "cp1", "test -f %s && echo yes || true" % APISERVER["kubeadm"][0]).strip() else "units"
    path, want_mode = APISERVER[style]
    mode = dslab("ssh", "cp1", "stat -c %a " + path).strip()
    readyz = dslab("kubectl", "get", "--raw", "/readyz").strip()
    checks = [
        ("the run fails", result.returncode != 0),
        ("the failure names kube-apiserver and its flag",
         "kube-apiserver" in output and "--service-cluster-ip-range" in output),
        ("the apiserver's own error is quoted", "must not contain more than two entries" in output),
        ("%s is restored byte for byte" % path, before["cp1"] == after["cp1"]),
        ("%s keeps mode %s" % (path, want_mode), mode == want_mode),
        ("the apiserver answers /readyz", readyz == "ok"),
        ("Nodes, Services, ServiceCIDRs and ConfigMaps unchanged (single-stack)", before == after),
        ("nothing after the control plane ran", "dualstack.kubernetes.kubelet :" not in output),
    ]
    Path(inv.name).unlink()
    return report(checks, output, "fault run (apply, %s s timeout, roll back) took %.1f s" % (60, seconds),
                  "Its log ends with:", "the quoted log")


if __name__ == "__main__":
    require_collection()
    sys.exit(main())
