#!/usr/bin/env python3
"""Benchmark: convert the lab to dual-stack and measure what operators care about.

Needs a fresh single-stack lab (`PYTHONPATH=lab python3 -m dslab up`); it changes the lab
(`dslab down` afterwards). It prints:
- conversion wall time with a per-phase (per-play) breakdown, and the sum of the unavoidable
  restarts beside it (static Pod restarts of kube-apiserver / kube-controller-manager, kubelet
  restarts, node re-registrations, as timed by the playbook's own wait tasks);
- kube-apiserver unavailability: /readyz probed every 100 ms from the host during the run, through
  controlPlaneEndpoint (cp1, or the HA lab's load balancer: DUALSTACK_LAB_CONTROL_PLANES=3), each probe on a
  new connection; on the HA lab also the seconds each apiserver was out of the load balancer's rotation
  (HAProxy's runtime API read every 100 ms), during the conversion and during the way back;
- failed IPv4 requests: tests/lab/workload.py's client (on dslab-cp1's host network) sends an
  HTTP request every 200 ms to a 2-replica Deployment's IPv4 ClusterIP during the run (the
  Deployment has a PodDisruptionBudget, a readiness probe and a preStop delay) and counts failures;
- with a real CNI (DUALSTACK_LAB_CNI=flannel|calico): tests/lab/prober.py through the conversion:
  probes sent/failed/excused, the longest time without an answer per node, and the time from each
  node's uncordon until a pod created on it answers;
- the second (idempotent) run's time;
- the way back: playbooks/rollback.yml's wall time with its per-phase breakdown (with the /readyz probe, the
  rotation figures and the IPv4 client again), and its second run.
Run from the checkout: PATH=.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=tests/output/.collections python benchmarks/conversion.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "lab"))
sys.path.insert(0, str(REPO / "lab"))
from dslab import net  # noqa: E402  pylint: disable=wrong-import-position
import prober  # noqa: E402  pylint: disable=wrong-import-position
from api_probe import ReadyzProbe, RotationWatch  # noqa: E402  pylint: disable=wrong-import-position
import workload  # noqa: E402  pylint: disable=wrong-import-position
from workload import dslab, lab_target  # noqa: E402  pylint: disable=wrong-import-position
TARGET = lab_target()
CNI = os.environ.get("DUALSTACK_LAB_CNI") or "bridge"
def measured(inventory: str, varsfile: str | None, playbook: str) -> dict:
    """Run a playbook with the /readyz probe, the IPv4 client and (HA lab) the rotation watch around it."""
    workload.start()
    probe = ReadyzProbe()
    probe.start()
    rotation = RotationWatch() if net.is_ha() else None
    if rotation:
        rotation.start()
    wall, phases, waits, changed = run_playbook(inventory, varsfile, playbook)
    probe.stop.set()
    probe.join()
    if rotation:
        rotation.stop.set()
        rotation.join()
    return {"wall": wall, "phases": phases, "waits": waits, "changed": changed, "probe": probe,
            "rotation": rotation.summary() if rotation else "", "counts": workload.stop()}


def print_availability(run: dict, what: str) -> None:
    """The API's and the Service's availability during one measured run."""
    probe, counts = run["probe"], run["counts"]
    print("apiserver /readyz every 100 ms via %s, %s: %d probes, %d failed, %.1f s unavailable in all (longest gap %.1f s)"
          % (probe.url.split("/")[2], what, probe.samples, probe.failures, probe.down, probe.longest))
    if run["rotation"]:
        print("  apiservers out of the load balancer's rotation (seconds, states seen): %s" % run["rotation"])
    print("IPv4 requests to the Service, %s: %d ok, %d failed in %.0f s (failure windows: %s)"
          % (what, counts.get("ok", 0), counts.get("failed", 0), counts.get("seconds", 0), counts.get("windows") or "none"))


def run_playbook(inventory: str, varsfile: str | None, playbook: str = "site.yml") -> tuple[float, dict, float, int]:
    """Run a playbook; return wall time, seconds per play, seconds spent in restart waits, tasks changed.

    The restart waits are the tasks that wait for a restarted component (their names start
    with "Wait"): the time the conversion cannot avoid, whatever Ansible itself costs.
    """
    cmd = ["ansible-playbook", "-i", inventory, str(REPO / "playbooks" / playbook)] + (["-e", "@" + varsfile] if varsfile else [])
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    started = time.monotonic()
    phases: dict[str, float] = {}
    current, since = None, started
    task, task_since, waits = "", started, 0.0
    lines = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(("TASK [", "PLAY [", "PLAY RECAP", "RUNNING HANDLER [")):
                now = time.monotonic()
                if re.search(r"(: |\[)(Wait|Probe until|Probe again|Let it settle)", task):
                    waits += now - task_since
                task, task_since = line, now
            match = re.match(r"PLAY \[(.*?)\]", line)
            if match or line.startswith("PLAY RECAP"):
                now = time.monotonic()
                if current:
                    phases[current] = phases.get(current, 0.0) + now - since
                current, since = (match.group(1).split(" - ")[0] if match else None), now
        code = proc.wait()
    wall = time.monotonic() - started
    if code != 0:
        sys.stdout.write("".join(lines[-60:]))
        raise SystemExit("%s failed (exit %d)" % (playbook, code))
    changed = sum(int(m) for line in lines if " : ok=" in line for m in re.findall(r"changed=(\d+)", line))
    return wall, phases, waits, changed


def print_prober(pods: dict) -> None:
    """The pod-to-pod prober's figures: totals, longest gap per node (as source or target), fresh pods."""
    print("pod-to-pod probes during the conversion: %d sent, %d ok, %d failed, %d excused (drained node) in %.0f s"
          % (pods["sent"], pods["ok"], pods["failed"], pods["excused"], pods["seconds"]))
    gaps: dict[str, float] = {}
    for pair, figures in pods["pairs"].items():
        for node in pair.split("/")[0].split(">"):
            gaps[node] = max(gaps.get(node, 0.0), figures["longest_gap"])
    print("  longest time without an answer, per node: %s"
          % (", ".join("%s %.1f s" % (node, gap) for node, gap in sorted(gaps.items())) or "none"))
    fresh = ["%s %s s" % (f["node"], f["reachable_after"].get("IPv4", "never")) for f in pods["fresh"]]
    print("  uncordon -> a new pod on that node answers (IPv4): %s" % (", ".join(fresh) or "no node was cordoned"))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp, "inventory.yml")
        inventory.write_text(dslab("inventory"))
        varsfile = Path(tmp, "target.json")
        varsfile.write_text(json.dumps(TARGET))
        if CNI != "bridge":
            prober.start()
        first = measured(str(inventory), str(varsfile), "site.yml")
        pods = prober.stop() if CNI != "bridge" else {}
        second, second_phases, _, second_changed = run_playbook(str(inventory), str(varsfile))
        back = measured(str(inventory), None, "rollback.yml")
        back_again, _, _, back_again_changed = run_playbook(str(inventory), None, "rollback.yml")
    wall = first["wall"]
    print("lab CNI: %s, %d control plane(s)" % (CNI, len(net.control_planes())))
    print("conversion wall time: %.1f s (%d tasks changed)" % (wall, first["changed"]))
    for name, seconds in first["phases"].items():
        print("  %-50s %7.1f s" % (name[:50], seconds))
    print("waits for restarted components (sum of the wait/probe/settle tasks): %.1f s = %.0f%% of the run"
          % (first["waits"], 100 * first["waits"] / wall))
    print_availability(first, "conversion")
    if pods:
        print_prober(pods)
    print("second run: %.1f s, %d changed (%s)" % (second, second_changed, ", ".join("%s %.1f s" % (k[:20], v) for k, v in second_phases.items())))
    print("ratio second/first run: %.2f" % (second / wall))
    print("rollback (dual -> single) wall time: %.1f s (%d tasks changed; waits %.1f s = %.0f%%)"
          % (back["wall"], back["changed"], back["waits"], 100 * back["waits"] / back["wall"]))
    for name, seconds in back["phases"].items():
        print("  %-50s %7.1f s" % (name[:50], seconds))
    print_availability(back, "way back")
    print("rollback second run: %.1f s, %d changed (ratio %.2f)" % (back_again, back_again_changed, back_again / back["wall"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
