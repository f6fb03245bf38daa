#!/usr/bin/env python3
"""A node joined after the conversion becomes dual-stack on the next run, and only it changes.

Needs a converted (dual-stack) lab, kubeadm style. Boots the late node dslab-w3 and joins it with a
plain ``kubeadm join`` (one ``--node-ip``, IPv4), as an operator adds a node to a cluster the
collection converted earlier; then runs playbooks/site.yml with the lab's inventory, w3 included,
and examples/lab-target.yml (w3's IPv6 address is detected by preflight, no ``dualstack_node_ips``),
and checks:

* before: w3 is Ready with one InternalIP (its kubelet's one --node-ip) and already a podCIDR per family
  (the controller-manager is dual-stack);
* the run succeeds and its verify role passes (its JSON report: every check ok, w3's rows included);
* only w3 changed: dslab-w1 and dslab-w2 report ``changed=0``, and every task that reported a
  change ran on w3 or names w3 (the node phase runs on the control plane; its tasks name the node),
  but the one that deletes the emptied node-records ConfigMap;
* the other Nodes were not re-registered (same UIDs); w3 has an InternalIP and a podCIDR per family.

Then w3 is drained, deleted and removed (``dslab remove w3``), so that the way back starts from the
three nodes of the scenario's inventory. Prints one line per check; exit 1 when one fails.
Run from the checkout with the venv's ansible on PATH and ANSIBLE_COLLECTIONS_PATH set.
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
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import REPO, dslab, require_collection  # noqa: E402  pylint: disable=wrong-import-position

LATE = "dslab-w3"
OTHERS = ("dslab-cp1", "dslab-w1", "dslab-w2")
#: Changes that belong to no node: the node phase deletes its records ConfigMap once it is empty.
BOOKKEEPING = ("Delete the node records ConfigMap, no record being left in it",)


def plain_env() -> Dict[str, str]:
    """The environment without the colours Molecule turns on (the recap and task lines are parsed)."""
    env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_FORCE_COLOR", "PY_COLORS")}
    env.update(ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return env


def node_objects() -> Dict[str, dict]:
    return {n["metadata"]["name"]: n for n in json.loads(dslab("kubectl", "get", "nodes", "-o", "json"))["items"]}


def families(node: dict) -> Tuple[List[str], List[str]]:
    ips = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
    return ips, list(node["spec"].get("podCIDRs") or [])


def changed_tasks(output: str) -> List[Tuple[str, str]]:
    """(task name, host line) of every ``changed:`` line of the default callback's output."""
    task, out = "", []
    for line in output.splitlines():
        header = re.match(r"^TASK \[(?:[^\]:]+ : )?(.*)\] \**$", line)
        if header:
            task = header.group(1)
        elif line.startswith("changed: ["):
            out.append((task, line.split("]", 1)[0] + "]"))
    return out


def recap(output: str) -> Dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", output, re.M)}


def main() -> int:
    checks: List[Tuple[str, bool, str]] = []
    before = node_objects()
    t0 = time.monotonic()
    joined = json.loads(dslab("join", LATE))
    ips, cidrs = families(node_objects()[LATE])
    # The controller-manager is dual-stack already: the new Node gets a podCIDR per family at once; its
    # kubelet (one --node-ip) reports one InternalIP, which only the next run changes.
    checks.append(("w3 joined with one InternalIP (plain kubeadm join) and a podCIDR per family (dual-stack KCM)",
                   len(ips) == 1 and ":" not in ips[0] and len(cidrs) == 2, "%s %s" % (ips, cidrs)))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            inventory = Path(tmp, "inventory.yml")
            inventory.write_text(dslab("inventory"))
            report = Path(tmp, "verify-report.json")
            t1 = time.monotonic()
            proc = subprocess.run(
                ["ansible-playbook", "-i", str(inventory), str(REPO / "playbooks" / "site.yml"),
                 "-e", "@%s" % (REPO / "examples" / "lab-target.yml"), "-e", "verify_report_path=%s" % report],
                capture_output=True, text=True, check=False, cwd=tmp,
                env=plain_env())
            run_seconds = time.monotonic() - t1
            output = proc.stdout + proc.stderr
            rows = json.loads(report.read_text()).get("checks", []) if report.exists() else []
        counts = recap(output)
        checks.append(("site.yml with w3 in the inventory succeeded", proc.returncode == 0,
                       "rc %d in %.1f s" % (proc.returncode, run_seconds)))
        bad_rows = [r for r in rows if not r.get("ok")]
        checks.append(("verify: every check ok, w3 included", bool(rows) and not bad_rows
                       and any(LATE in str(r.get("check")) for r in rows),
                       "%d checks, failed: %s" % (len(rows), [r.get("check") for r in bad_rows])))
        checks.append(("dslab-w1 and dslab-w2 changed=0, dslab-w3 changed",
                       counts.get("dslab-w1") == 0 and counts.get("dslab-w2") == 0 and counts.get(LATE, 0) > 0,
                       json.dumps(counts)))
        changes = changed_tasks(output)
        foreign = [(task, host) for task, host in changes
                   if LATE not in host and LATE not in task and task not in BOOKKEEPING]
        checks.append(("every change ran on w3 or names w3", bool(changes) and not foreign,
                       "%d changes; others: %s" % (len(changes), json.dumps(foreign[:5]))))
        after = node_objects()
        same = [n for n in OTHERS if after[n]["metadata"]["uid"] == before[n]["metadata"]["uid"]]
        checks.append(("cp1, w1, w2 not re-registered (same UIDs)", len(same) == len(OTHERS), ", ".join(same)))
        ips, cidrs = families(after[LATE])
        checks.append(("w3 has an InternalIP and a podCIDR per family, IPv4 first",
                       len(ips) == 2 and ":" not in ips[0] and ":" in ips[1]
                       and len(cidrs) == 2 and ":" not in cidrs[0] and ":" in cidrs[1], "%s %s" % (ips, cidrs)))
    finally:
        dslab("remove", LATE, check=False)
    left = LATE in node_objects()
    checks.append(("w3 removed again", not left, ""))
    for name, passed, detail in checks:
        print("%-4s %s%s" % ("ok" if passed else "FAIL", name, (": " + detail) if detail else ""))
    print("join %.1f s (%s); total %.1f s" % (joined.get("total", 0), ", ".join("%s %s" % kv for kv in joined.items()
                                                                              if kv[0] != "total"),
                                             time.monotonic() - t0))
    if not all(passed for _, passed, _ in checks):
        print(output[-6000:] if "output" in locals() else "")
        return 1
    return 0


if __name__ == "__main__":
    require_collection()
    sys.exit(main())
