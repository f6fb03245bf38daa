#!/usr/bin/env python3
"""Bad targets fail in preflight on the real lab, and nothing on any host or in the API changes.

Needs a running single-stack lab (`PYTHONPATH=lab python3 -m dslab up`). For each invalid
configuration it runs playbooks/preflight.yml against the lab, expects a failure whose output
holds the rule's words, and compares checksums of every file the conversion manages and of
the relevant API objects before and after the whole run.
Run from the checkout with the venv's ansible on PATH and ANSIBLE_COLLECTIONS_PATH set (make collection).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOOD = {
    "dualstack_pod_cidrs": "10.244.0.0/16,fd00:10:244::/56",
    "dualstack_service_cidrs": "10.96.0.0/16,fd00:10:96::/112",
    "dualstack_node_cidrs": "192.168.77.0/24,fd00:77::/64",
}
BAD = [
    ({"dualstack_pod_cidrs": "fd00:10:244::/56,10.244.0.0/16", "dualstack_service_cidrs": "fd00:10:96::/112,10.96.0.0/16"},
     "does not keep the current"),
    ({"dualstack_pod_cidrs": "10.245.0.0/16,fd00:10:244::/56"}, "does not keep the current --cluster-cidr[0]=10.244.0.0/16"),
    ({"dualstack_service_cidrs": "10.96.0.0/12,fd00:10:96::/112"}, "does not keep the current --service-cluster-ip-range[0]"),
    ({"dualstack_pod_cidrs": "10.244.0.0/16,fd00:10:244::1/56"}, "did you mean fd00:10:244::/56?"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:96::/64", "dualstack_kube_version": "1.33"}, "the mask must be >= 108"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:96::/125"}, "too small, the minimum is 10"),
    ({"dualstack_node_mask_ipv6": 80}, "difference is greater than 16"),
    ({"dualstack_pod_cidrs": "10.244.0.0/16,fd00:10:244::/120"}, "cannot hold 3 node(s)"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:244:ff::/112"}, "overlaps Service range"),
    ({"dualstack_pod_cidrs": "10.244.0.0/16,10.245.0.0/16"}, "must be of different IP family"),
    ({"dualstack_kube_version": "1.15"}, "no IPv4/IPv6 dual-stack support"),
    ({"dualstack_feature_gates": "IPv6DualStack=maybe"}, "invalid value of IPv6DualStack=maybe"),
]
HOST_BAD = [  # per-host variables, given through a host_vars-like extra inventory
    ({"dslab-w1": {"dualstack_node_ips": ["192.168.77.21", "::1"]}}, "::1 is a loopback address"),
    ({"dslab-w2": {"dualstack_node_ips": ["192.168.77.22", "fd00:77::99"]}}, "lists fd00:77::99 but the host has no such address"),
]
FILES = ["/etc/kubernetes/manifests/kube-apiserver.yaml", "/etc/kubernetes/manifests/kube-controller-manager.yaml",
         "/var/lib/kubelet/kubeadm-flags.env", "/var/lib/kubelet/config.yaml"]
OBJECTS = [["-n", "kube-system", "get", "cm", "kube-proxy", "kubeadm-config", "-o", "json"],
           ["get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDRs} {.status.addresses}{\"\\n\"}{end}"]]


def dslab(*args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO / "lab"))
    return subprocess.run([sys.executable, "-m", "dslab", *args], check=True, capture_output=True, text=True, env=env).stdout


def fingerprint() -> dict:
    prints = {}
    for node in ("cp1", "w1", "w2"):
        out = dslab("ssh", node, "sha256sum " + " ".join(FILES) + " 2>/dev/null; stat -c '%n %a %U' " + " ".join(FILES) + " 2>/dev/null; true")
        prints[node] = out
    for args in OBJECTS:
        text = dslab("kubectl", *args)
        if args[-1] == "json":  # resourceVersion-free content
            items = json.loads(text)["items"]
            text = json.dumps([{"name": i["metadata"]["name"], "data": i.get("data")} for i in items], sort_keys=True)
        prints[" ".join(args[:4])] = hashlib.sha256(text.encode()).hexdigest()
    return prints


def run_preflight(inventory: str, extra: dict, host_vars: dict) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        varsfile = Path(tmp, "vars.json")
        varsfile.write_text(json.dumps(dict(GOOD, **extra)))
        cmd = ["ansible-playbook", "-i", inventory, str(REPO / "playbooks/preflight.yml"), "-e", "@%s" % varsfile]
        if host_vars:
            hv = Path(tmp, "hosts.json")
            hv.write_text(json.dumps({"all": {"hosts": host_vars}}))
            cmd[3:3] = ["-i", str(hv)]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp)


def main() -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as inv:
        inv.write(dslab("inventory"))
    before = fingerprint()
    good = run_preflight(inv.name, {}, {})
    failures = 0 if good.returncode == 0 else 1
    print("%-4s %-70s %s" % ("ok" if good.returncode == 0 else "FAIL", "the good target passes", ""))
    started = time.monotonic()
    for extra, words, host_vars in [(e, w, {}) for e, w in BAD] + [({}, w, h) for h, w in HOST_BAD]:
        result = run_preflight(inv.name, extra, host_vars)
        output = result.stdout + result.stderr
        passed = result.returncode != 0 and words in output and "changed=0" in output and "changed=1" not in output
        failures += not passed
        print("%-4s %-70s %s" % ("ok" if passed else "FAIL", json.dumps(extra or host_vars)[:70], words))
    after = fingerprint()
    same = before == after
    failures += not same
    print("checksums of %d files x 3 nodes and %d API views identical before/after: %s" % (len(FILES), len(OBJECTS), same))
    print("%d bad targets in %.1f s" % (len(BAD) + len(HOST_BAD), time.monotonic() - started))
    print("%d passed, %d failed" % (len(BAD) + len(HOST_BAD) + 2 - failures, failures))
    os.unlink(inv.name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
