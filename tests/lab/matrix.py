#!/usr/bin/env python3
"""The live version matrix: each release built, brought up single-stack, converted, re-run, rolled back.

For every release given (default: the newest patch of each line the Go module proxy served on 2026-12-06, see
RELEASES), on the built-in lab (kubeadm, the lab's bridge CNI, three nodes):
1. `dslab down`, `dslab up --version V` (the build is cached per release; a release that does not build or whose
   nodes do not come up gets a row saying where it stopped and the last error line);
2. preflight in check mode with a /64 IPv6 Service range: refused before 1.34 with kube-apiserver's own words
   ("the mask must be >= 108"), accepted from 1.34 (cmd/kube-apiserver/app/options/validation.go);
3. playbooks/site.yml (the conversion; from 1.34 with that /64 Service range, so that verify's dual-stack Services
   are allocated from it) with its verify role; the `kubernetes` ServiceCIDR read after it (1.33+);
4. site.yml again: changed=0;
5. playbooks/rollback.yml (the way back, ending in the verify role on single-stack);
6. one row: pass/fail, the conversion's and the way back's seconds, what differed.
After the conversion, inside a kube-proxy pod, the proxy's own rules for IPv6 are looked for (ip6tables' nat
KUBE-SERVICES chain, nftables' `ip6 kube-proxy` table, IPVS's virtual servers of both families): a run RELEASE:MODE
brings the lab up with that kube-proxy mode (MODES: nftables and IPVS on the newest release). IPVS runs on nodes with a
kernel of their own (DUALSTACK_LAB_KERNEL=uml, User-Mode Linux) when the host's kernel has no IPVS, as here.
The releases are run with dualstack_allow_untested_release=true: this matrix is what makes a release "run live"
(versions.LIVE_TESTED). Writes benchmarks/results/matrix.json and prints a Markdown table for the README.
Run from the checkout with the venv's ansible on PATH and ANSIBLE_COLLECTIONS_PATH set (`make matrix`), as root,
with no other lab running. About 10 min per release once built; a cold build adds about 10 min (containerd 2
for 1.36 and newer about 1 more). The IPVS row on User-Mode Linux nodes takes about 85 min (kernel built once, 6 min).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab"))
from dslab.build import release_minor  # noqa: E402  pylint: disable=wrong-import-position
from workload import require_collection  # noqa: E402  pylint: disable=wrong-import-position
# The newest patch of each line the module proxy served (2026-12-06; v1.33.14, v1.35.7, v1.35.9 were refused).
RELEASES = ["v1.33.13", "v1.34.12", "v1.35.8", "v1.36.3", "v1.37.2"]
# kube-proxy's other modes, each on one release (RELEASE:MODE): nftables (GA in 1.33) and IPVS (deprecated in 1.35)
# on the newest.
MODES = ["v1.37.2:nftables", "v1.37.2:ipvs"]
PREVIEW = "v1.38.0-beta.0"
TARGET = REPO / "examples" / "lab-target.yml"
SERVICE_64 = "10.96.0.0/16,fd00:10:96::/64"
OUT = REPO / "benchmarks" / "results" / "matrix.json"


def split_run(run_: str) -> tuple:
    """``v1.37.2:nftables`` -> (``v1.37.2``, ``nftables``); a bare release runs kube-proxy's iptables mode."""
    version, _, mode = run_.partition(":")
    return version, mode or "iptables"


def row_key(version: str, mode: str) -> str:
    return version if mode == "iptables" else "%s %s" % (version, mode)


# The roles' waits on User-Mode Linux nodes (one CPU each, system calls through ptrace): what an operator of a slow
# cluster sets. Restarts and rollouts there take minutes where nspawn nodes take seconds.
UML_TIMEOUTS = {"%s_timeout" % role: 900 for role in ("control_plane", "kubelet", "kube_proxy", "nodes", "verify",
                                                      "cni", "egress", "services")}
# kube-proxy on one UML CPU: a Service probe gets upstream e2e's allowance for a Service change (5 min).
UML_TIMEOUTS["verify_proxy_lag_timeout"] = 300


def lab_kernel(mode: str, ip_vs: Path = Path("/proc/net/ip_vs")) -> str:
    """The nodes' kernel for a run: User-Mode Linux for IPVS when the host's kernel has none, else the host's."""
    return "uml" if mode == "ipvs" and not ip_vs.exists() else "host"


def ipvs_proof(table: str) -> str:
    """What ``ipvsadm -Ln`` shows: virtual servers of each family (IPv6 ones are bracketed)."""
    servers = [line.split()[1] for line in table.splitlines() if line.split()[:1] in (["TCP"], ["UDP"], ["SCTP"])]
    v6 = [s for s in servers if s.startswith("[")]
    return "kube-proxy ipvs: %d IPv4 and %s IPv6 virtual servers%s" % (
        len(servers) - len(v6), len(v6) or "NO", " (e.g. %s)" % v6[0] if v6 else "")


def proxy_mode_proof(mode: str, log: Path) -> str:
    """What the converted cluster's kube-proxy shows for both families, read inside a kube-proxy pod."""
    kubectl = [sys.executable, "-m", "dslab", "kubectl", "-n", "kube-system"]
    env = dict(os.environ, PYTHONPATH=str(REPO / "lab"))
    pods = run(kubectl + ["get", "pods", "-l", "k8s-app=kube-proxy", "-o", "name"], log, env=env).stdout.split()
    if not pods:
        return "no kube-proxy pod found"
    argv = {"nftables": ["nft", "list", "tables"], "ipvs": ["ipvsadm", "-Ln"]}.get(mode, ["ip6tables-save", "-t", "nat"])
    out = run(kubectl + ["exec", pods[0], "--", *argv], log, env=env).stdout
    if mode == "ipvs":
        return ipvs_proof(out) + " in " + pods[0]
    if mode == "nftables":
        found = [t for t in ("table ip kube-proxy", "table ip6 kube-proxy") if t in out]
        return "kube-proxy nftables: %s in %s" % (" and ".join(found) or "NO kube-proxy tables", pods[0])
    return "kube-proxy iptables: ip6tables nat KUBE-SERVICES %s" % ("present" if "KUBE-SERVICES" in out else "MISSING")


def run(cmd: List[str], log: Path, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run, keep the whole output in ``log`` (appended), return the result."""
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=str(REPO), **kwargs)
    with log.open("a") as handle:
        handle.write("\n$ %s  (rc %d, %.1f s)\n%s%s" % (" ".join(cmd), proc.returncode, time.monotonic() - started,
                                                         proc.stdout, proc.stderr))
    return proc


def dslab(*args: str, log: Path) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "dslab", *args], log, env=dict(os.environ, PYTHONPATH=str(REPO / "lab")))


def recap_changed(output: str) -> int:
    """The sum of changed= over the PLAY RECAP lines."""
    return sum(int(n) for n in re.findall(r"changed=(\d+)", output.split("PLAY RECAP")[-1]))


def last_error(output: str) -> str:
    for line in reversed(output.splitlines()):
        if "fatal:" in line or '"msg":' in line or "Error" in line or "error" in line:
            return line.strip()[:240]
    return output.strip().splitlines()[-1][:240] if output.strip() else ""


def playbook(name: str, inventory: Path, log: Path, extra: Dict[str, Any], *options: str) -> subprocess.CompletedProcess:
    varsfile = log.with_suffix(".vars.json")
    varsfile.write_text(json.dumps(extra))
    return run(["ansible-playbook", "-i", str(inventory), str(REPO / "playbooks" / name), "-e", "@%s" % TARGET,
                "-e", "@%s" % varsfile, *options], log, env=dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="false"))


def one(version: str, mode: str, workdir: Path) -> Dict[str, Any]:
    row: Dict[str, Any] = {"release": version, "proxy_mode": mode, "passed": False, "notes": []}
    log = workdir / ("%s.log" % row_key(version, mode).replace(" ", "-"))
    log.write_text("")
    row["log"] = str(log)
    dslab("down", log=log)
    began = time.monotonic()
    os.environ["DUALSTACK_LAB_PROXY_MODE"] = mode
    os.environ["DUALSTACK_LAB_KERNEL"] = row["kernel"] = lab_kernel(mode)
    up = dslab("up", "--version", version, log=log)
    row["up_s"] = round(time.monotonic() - began, 1)
    if up.returncode != 0:
        row["stopped"] = "up"
        row["notes"].append("dslab up: " + last_error(up.stdout + up.stderr))
        return row
    inventory = workdir / "inventory.yml"
    inventory.write_text(dslab("inventory", log=log).stdout)
    base = {"dualstack_allow_untested_release": True,
            "verify_report_path": str(workdir / ("%s-verify.json" % version))}
    if row["kernel"] == "uml":
        base.update(UML_TIMEOUTS)
        os.environ["ANSIBLE_PIPELINING"] = "True"  # one ssh round trip per task: each costs seconds there
    limited = release_minor(version) < 34

    # The /64 Service range: refused before 1.34 in preflight (check mode), accepted from 1.34.
    check = playbook("site.yml", inventory, log, dict(base, dualstack_service_cidrs=SERVICE_64), "--check")
    out = check.stdout + check.stderr
    if limited:
        ok = check.returncode != 0 and "the mask must be >= 108" in out and recap_changed(out) == 0
        row["notes"].append("/64 Service range refused in preflight (mask must be >= 108)" if ok
                            else "/64 Service range NOT refused as expected: " + last_error(out))
    else:
        ok = check.returncode == 0
        row["notes"].append("/64 Service range accepted (check mode)" if ok else "/64 check mode failed: " + last_error(out))
    row["service_64_rule"] = ok

    target = dict(base) if limited else dict(base, dualstack_service_cidrs=SERVICE_64)
    row["service_cidrs"] = "10.96.0.0/16,fd00:10:96::/112" if limited else SERVICE_64
    began = time.monotonic()
    convert = playbook("site.yml", inventory, log, target)
    row["convert_s"] = round(time.monotonic() - began, 1)
    out = convert.stdout + convert.stderr
    row["convert_changed"] = recap_changed(out)
    if convert.returncode != 0:
        row["stopped"] = "conversion"
        row["notes"].append("site.yml: " + last_error(out))
        return row
    scidr = run(["bash", "-c", "PYTHONPATH=lab %s -m dslab kubectl get servicecidr kubernetes -o json" % sys.executable], log)
    if scidr.returncode == 0:
        row["servicecidr"] = json.loads(scidr.stdout).get("spec", {}).get("cidrs", [])
        row["notes"].append("ServiceCIDR kubernetes: %s" % ",".join(row["servicecidr"]))
    proof = proxy_mode_proof(mode, log)
    row["notes"].append(proof)
    proxied = "NO " not in proof and "MISSING" not in proof and "no kube-proxy" not in proof

    began = time.monotonic()
    again = playbook("site.yml", inventory, log, target)
    row["second_s"] = round(time.monotonic() - began, 1)
    out = again.stdout + again.stderr
    row["second_changed"] = recap_changed(out) if again.returncode == 0 else None
    if again.returncode != 0 or row["second_changed"] != 0:
        row["stopped"] = "second run"
        row["notes"].append("second run: rc %d, changed %s" % (again.returncode, row["second_changed"]))
        return row

    began = time.monotonic()
    back = playbook("rollback.yml", inventory, log, target)
    row["rollback_s"] = round(time.monotonic() - began, 1)
    out = back.stdout + back.stderr
    if back.returncode != 0:
        row["stopped"] = "rollback"
        row["notes"].append("rollback.yml: " + last_error(out))
        return row
    row["passed"] = bool(row["service_64_rule"]) and proxied
    return row


def table(rows: List[Dict[str, Any]]) -> str:
    lines = ["| release | kube-proxy | run on | result | conversion s (changed) | second run s | way back s | what differed |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        result = "pass" if r["passed"] else "fail (%s)" % r.get("stopped", "a check")
        if r.get("preview"):
            result += ", preview"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["release"], r.get("proxy_mode", "iptables") + (" (User-Mode Linux nodes)" if r.get("kernel") == "uml" else ""),
            r.get("date", ""), result,
            "%s (%s)" % (r["convert_s"], r.get("convert_changed")) if "convert_s" in r else "",
            r.get("second_s", ""), r.get("rollback_s", ""), "; ".join(r["notes"]).replace("|", "/")))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--releases", default=",".join(RELEASES + MODES),
                        help="comma-separated RELEASE or RELEASE:PROXY_MODE (default %(default)s)")
    parser.add_argument("--preview", default=PREVIEW, help="a pre-release run last, allowed to fail ('' for none)")
    parser.add_argument("--workdir", default=str(REPO / "tests" / "output" / "matrix"))
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    runs = [split_run(r) for r in args.releases.split(",") if r]
    previous = json.loads(OUT.read_text()) if OUT.exists() else {"rows": []}
    rows = {row_key(r["release"], r.get("proxy_mode", "iptables")): r for r in previous.get("rows", [])}

    def order(r: Dict[str, Any]) -> tuple:
        return release_minor(r["release"]), r.get("proxy_mode", "iptables") != "iptables"

    for version, mode in runs + ([(args.preview, "iptables")] if args.preview else []):
        print("== %s" % row_key(version, mode), flush=True)
        row = one(version, mode, workdir)
        row["preview"] = version == args.preview
        row["date"] = time.strftime("%Y-%m-%d")
        rows[row_key(version, mode)] = row
        print(json.dumps(row, indent=1), flush=True)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps({"rows": sorted(rows.values(), key=order)}, indent=1) + "\n")
    dslab("down", log=workdir / "down.log")
    ordered = sorted(rows.values(), key=order)
    print(table(ordered))
    wanted = {row_key(v, m) for v, m in runs}
    return 0 if all(r["passed"] for r in ordered if row_key(r["release"], r.get("proxy_mode", "iptables")) in wanted) else 1


if __name__ == "__main__":
    require_collection()
    sys.exit(main())
