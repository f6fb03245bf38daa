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
With ``--ha`` (the HA lab, DUALSTACK_LAB_CONTROL_PLANES=3) the points are the half-converted control planes an
HA rollout leaves (:data:`HA_POINTS`: after cp1's kube-apiserver, after cp2's, after one kube-controller-manager),
and each is taken both ways: killed, then playbooks/rollback.yml from there must end verified single-stack;
killed again, then site.yml must end verified dual-stack (then rollback.yml for the next point).
Run from the checkout with the venv's ansible on PATH and ANSIBLE_COLLECTIONS_PATH set (make collection):
  python3 tests/lab/kill_points.py [--points N] [--only WORDS] [--reset rebuild|rollback] [--ha]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import dslab, lab_target, require_collection  # noqa: E402  pylint: disable=wrong-import-position
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

# HA lab: (task words, delay, which occurrence of a header with those words). Every control plane runs each task
# of its `serial: 1` play in turn, so the 2nd header of the kube-apiserver's task is cp2's (cp1's is done), the 3rd
# cp3's (cp1 and cp2 done), the 2nd of the kube-controller-manager's is cp2's (cp1's done). The task runs before
# the load-balancer hook, so no apiserver is out of rotation at the kill.
HA_POINTS = [
    ("Tell whether the flags change (nothing is written): kube-apiserver", 0.0, 2),
    ("Tell whether the flags change (nothing is written): kube-apiserver", 0.0, 3),
    ("Tell whether the flags change (nothing is written): kube-controller-manager", 0.0, 2),
]
HA_LABELS = ["after cp1's kube-apiserver", "after cp2's kube-apiserver", "after cp1's kube-controller-manager"]


@contextlib.contextmanager
def lab_inputs() -> Iterator[tuple[str, str]]:
    """The lab's inventory (`dslab inventory`) and its target (examples/lab-target.yml) as files, for the run."""
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp, "inventory.yml")
        inventory.write_text(dslab("inventory"))
        varsfile = Path(tmp, "target.json")
        varsfile.write_text(json.dumps(TARGET))
        yield str(inventory), str(varsfile)


def playbook(name: str, inventory: str, varsfile: str, kill_at: tuple | None = None) -> dict:
    """Run a playbook; with kill_at (words, delay[, occurrence]), SIGKILL its process group that long after the
    task's header (its occurrence-th, default the first) is printed."""
    cmd = ["ansible-playbook", "-i", inventory, str(REPO / "playbooks" / name)] + (["-e", "@" + varsfile] if varsfile else [])
    seen = 0
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
                seen += 1
                if seen < (kill_at[2] if len(kill_at) > 2 else 1):
                    continue
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
        return playbook("rollback.yml", inventory, "")
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
    parser.add_argument("--ha", action="store_true", help="the HA lab's half-converted control planes, both ways")
    parser.add_argument("--ha-point", type=int, choices=range(1, len(HA_POINTS) + 1),
                        help="only kill site.yml at this HA point (1-%d), then --then" % len(HA_POINTS))
    parser.add_argument("--then", choices=["rollback", "nothing"], default="rollback",
                        help="with --ha-point: rollback.yml from the half-converted state, or leave it for the next run")
    args = parser.parse_args()
    if args.ha_point:
        return main_ha_point(args.ha_point, args.then)
    if args.ha:
        return main_ha()
    count = max(1, min(args.points, len(POINTS)))
    chosen = [POINTS[round(i * (len(POINTS) - 1) / max(1, count - 1))] for i in range(count)] if count > 1 else POINTS[2:3]
    if args.only:
        chosen = [point for point in POINTS if args.only in point[0]]
    failures = 0
    with lab_inputs() as (inventory, varsfile):
        print("%-72s %8s %10s %10s %10s" % ("SIGKILL point (task, delay)", "killed", "re-run", "verified", "reset"))
        for words, delay in chosen:
            killed = playbook("site.yml", inventory, varsfile, (words, delay))
            rerun = playbook("site.yml", inventory, varsfile)
            back = reset(args.reset, inventory, varsfile)
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


def main_ha_point(number: int, then: str) -> int:
    """Kill site.yml at HA point ``number``; with ``then`` rollback, rollback.yml must end verified single-stack."""
    point, label = HA_POINTS[number - 1], HA_LABELS[number - 1]
    with lab_inputs() as (inventory, varsfile):
        killed = playbook("site.yml", inventory, varsfile, point)
        if killed["killed_after"] is None:
            sys.stdout.write(killed["tail"])
            print("site.yml was not killed %s: the task was never reached" % label)
            return 1
        print("site.yml killed %s, %.0f s into the run" % (label, killed["killed_after"]))
        if then == "nothing":
            return 0
        back = playbook("rollback.yml", inventory, "")
        if back["rc"] != 0:
            sys.stdout.write(back["tail"])
        print("rollback.yml from there: %s in %.1f s" % ("verified single-stack" if back["rc"] == 0 else "FAILED", back["seconds"]))
        return back["rc"]


def main_ha() -> int:
    """Each of :data:`HA_POINTS` both ways: rollback.yml from there, then site.yml from there."""
    failures = 0
    with lab_inputs() as (inventory, varsfile):
        print("%-40s %8s %16s %8s %16s" % ("SIGKILL point", "killed", "rollback.yml", "killed", "site.yml"))
        for index, (point, label) in enumerate(zip(HA_POINTS, HA_LABELS)):
            first = playbook("site.yml", inventory, varsfile, point)
            back = playbook("rollback.yml", inventory, "")
            second = playbook("site.yml", inventory, varsfile, point)
            forth = playbook("site.yml", inventory, varsfile)
            ok = None not in (first["killed_after"], second["killed_after"]) and back["rc"] == 0 and forth["rc"] == 0
            failures += not ok
            print("%-40s %7s %9.1fs %5s %7s %9.1fs %5s" % (
                label, "%.0fs" % first["killed_after"] if first["killed_after"] is not None else "never",
                back["seconds"], "ok" if back["rc"] == 0 else "FAIL",
                "%.0fs" % second["killed_after"] if second["killed_after"] is not None else "never",
                forth["seconds"], "ok" if forth["rc"] == 0 else "FAIL"), flush=True)
            if not ok:
                sys.stdout.write((back if back["rc"] else forth)["tail"])
                break
            if index < len(HA_POINTS) - 1:
                reset_back = playbook("rollback.yml", inventory, "")
                if reset_back["rc"] != 0:
                    sys.stdout.write(reset_back["tail"])
                    failures += 1
                    break
    print("%d of %d half-converted control-plane states: rollback.yml and site.yml both ended verified%s"
          % (len(HA_POINTS) - failures, len(HA_POINTS), "" if not failures else " (FAILURES above)"))
    return 1 if failures else 0


if __name__ == "__main__":
    require_collection()
    sys.exit(main())
