#!/usr/bin/env python3
"""Kill `ansible-playbook playbooks/site.yml` with SIGKILL at points spread over the run; each re-run converges.

Needs a running single-stack lab (`PYTHONPATH=lab python3 -m dslab up`). For each point: run
site.yml against the lab and SIGKILL its whole process group (ssh children included) a set
delay after the named task starts; then run site.yml again, which must finish with its
verification passing (a verified dual-stack cluster); then the lab goes back to single-stack for
the next point: rebuilt from its cache (`--reset rebuild`, the default, ~1 min) or by
playbooks/rollback.yml (`--reset rollback`, ~4 min, which also proves the way back each time).
The points cover every phase: preflight, the apiserver edit and its restart, the controller-manager edit, kubeadm-config,
the kubelet restarts, kube-proxy, each step of a node's re-registration, egress, verify.
Run from the checkout with the venv's ansible on PATH and ANSIBLE_COLLECTIONS_PATH set (make collection):
  python3 tests/lab/kill_points.py [--points N] [--only WORDS] [--reset rebuild|rollback]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import dslab, lab_target  # noqa: E402  pylint: disable=wrong-import-position
TARGET = lab_target()
# (words of the task's header line, seconds after it starts)
POINTS = [
    ("preflight : Read the cluster version", 0.3),
    ("Write the new flags, backup kept: kube-apiserver", 0.5),
    ("Probe until it runs with the wanted flag and is healthy: kube-apiserver", 6.0),
    ("Write the new flags, backup kept: kube-controller-manager", 0.5),
    ("Write the new ClusterConfiguration back", 0.3),
    ("RUNNING HANDLER [dualstack.kubernetes.kubelet : Restart kubelet]", 0.3),
    ("Write the kube-proxy ConfigMap when it changes", 0.3),
    ("Drain, PodDisruptionBudgets respected: dslab-w1", 1.0),
    ("Delete Node dslab-w2", 0.5),
    ("Restart the kubelet so that it registers again: dslab-cp1", 0.3),
    ("Cordon and restore labels and annotations: dslab-cp1", 0.2),
    ("Recreate the other pods so that they get addresses", 0.5),
    ("Flush the dedicated chain before refilling it in order", 0.0),
    ("Create the namespace, an agnhost netexec DaemonSet", 2.0),
    # Hand-installed lab (DUALSTACK_LAB_STYLE=units): files written, unit not restarted yet.
    ("Restart the systemd unit with its new flags: kube-apiserver", 0.0),
    ("Write the KubeProxyConfiguration file when it changes (backup kept)", 0.8),
    # Real flannel (DUALSTACK_LAB_CNI=flannel): a node's step after its Node was created again,
    # after its kubelet registered, and right after its flannel pod was deleted.
    ("Create the Node again, cordoned, with its labels, annotations and taints (the kubelet adopts it): dslab-w2", 0.3),
    ("Wait for Ready with a podCIDR per family: dslab-w1", 1.0),
    ("Wait for the CNI agent's new pod to be Ready: dslab-cp1", 0.5),
]


def playbook(name: str, inventory: str, varsfile: str, kill_at: tuple[str, float] | None = None) -> dict:
    """Run a playbook; with kill_at, SIGKILL its process group that long after the task starts."""
    cmd = ["ansible-playbook", "-i", inventory, str(REPO / "playbooks" / name), "-e", "@" + varsfile]
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_NOCOLOR="1")
    started = time.monotonic()
    lines: list[str] = []
    killed = None
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                          start_new_session=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if kill_at and killed is None and line.startswith(("TASK [", "RUNNING HANDLER [")) and kill_at[0] in line:
                time.sleep(kill_at[1])
                killed = time.monotonic() - started
                os.killpg(proc.pid, signal.SIGKILL)
                break
        code = proc.wait()
    recap = [line.strip() for line in lines if " : ok=" in line]
    return {"rc": code, "seconds": round(time.monotonic() - started, 1), "killed_after": killed,
            "changed": sum(int(part.split("=")[1]) for line in recap for part in line.split() if part.startswith("changed=")),
            "tail": "".join(lines[-40:])}


def reset(how: str, inventory: str, varsfile: str) -> dict:
    """Take the lab back to single-stack: playbooks/rollback.yml, or down and up from the cache."""
    if how == "rollback":
        return playbook("rollback.yml", inventory, varsfile)
    started = time.monotonic()
    env = dict(os.environ, PYTHONPATH=str(REPO / "lab"))
    code = 0
    for action in ("down", "up"):
        done = subprocess.run([sys.executable, "-m", "dslab", action], capture_output=True, text=True, env=env, check=False)
        code = code or done.returncode
    return {"rc": code, "seconds": round(time.monotonic() - started, 1), "tail": done.stdout[-2000:] + done.stderr[-2000:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=len(POINTS), help="how many points, spread evenly over the run")
    parser.add_argument("--reset", choices=["rebuild", "rollback"], default="rebuild",
                        help="how the lab goes back to single-stack after each point")
    parser.add_argument("--only", default="", help="run only the points whose task words contain this")
    args = parser.parse_args()
    count = max(1, min(args.points, len(POINTS)))
    chosen = [POINTS[round(i * (len(POINTS) - 1) / max(1, count - 1))] for i in range(count)] if count > 1 else POINTS[2:3]
    if args.only:
        chosen = [point for point in POINTS if args.only in point[0]]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp, "inventory.yml")
        inventory.write_text(dslab("inventory"))
        varsfile = Path(tmp, "target.json")
        varsfile.write_text(json.dumps(TARGET))
        print("%-72s %8s %10s %10s %10s" % ("SIGKILL point (task, delay)", "killed", "re-run", "verified", "reset"))
        for words, delay in chosen:
            killed = playbook("site.yml", str(inventory), str(varsfile), (words, delay))
            rerun = playbook("site.yml", str(inventory), str(varsfile))
            back = reset(args.reset, str(inventory), str(varsfile))
            ok = killed["killed_after"] is not None and rerun["rc"] == 0 and back["rc"] == 0
            failures += not ok
            print("%-72s %7s %9.1fs %10s %9.1fs" % (
                ("%s +%.1fs" % (words, delay))[-72:],
                "%.0fs" % killed["killed_after"] if killed["killed_after"] is not None else "never",
                rerun["seconds"], "yes" if rerun["rc"] == 0 else "NO", back["seconds"]), flush=True)
            if not ok:
                sys.stdout.write((rerun if rerun["rc"] else back)["tail"])
                if back["rc"] != 0:
                    break
    print("%d of %d kill points: the re-run converged to a verified dual-stack cluster%s"
          % (len(chosen) - failures, len(chosen), "" if not failures else " (FAILURES above)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
