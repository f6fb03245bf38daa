#!/usr/bin/env python3
"""An apiserver that does not come back is rolled back; the cluster stays healthy single-stack.

Needs a running single-stack lab. Runs playbooks/site.yml with the test-only
``control_plane_fault_inject=true`` (kube-apiserver gets a third Service range, which it refuses
at start) and checks: the run fails naming kube-apiserver, the flag and the apiserver's own
error; the manifest is byte-identical to the one before (mode 0600 kept); /readyz answers; the
Nodes, Services and ConfigMaps are as before (single-stack); nothing after the control plane ran.
Run from the checkout with the venv's ansible on PATH and ANSIBLE_COLLECTIONS_PATH set.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bad_inputs import dslab, fingerprint, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

# kubeadm's static Pod manifest, or a hand-installed cluster's unit (DUALSTACK_LAB_STYLE=units).
APISERVER = {"kubeadm": ("/etc/kubernetes/manifests/kube-apiserver.yaml", "600"),
             "units": ("/etc/systemd/system/kube-apiserver.service", "644")}


def main() -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as inv:
        inv.write(dslab("inventory"))
    before = fingerprint()
    started = time.monotonic()
    result = run_playbook(inv.name, {"control_plane_fault_inject": True, "control_plane_timeout": 60}, {}, "site.yml")
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    after = fingerprint()
    style = "kubeadm" if dslab("ssh", "cp1", "test -f %s && echo yes || true" % APISERVER["kubeadm"][0]).strip() else "units"
    path, want_mode = APISERVER[style]
    mode = dslab("ssh", "cp1", "stat -c %a " + path).strip()
    readyz = dslab("kubectl", "get", "--raw", "/readyz").strip()
    checks = [
        ("site.yml fails", result.returncode != 0),
        ("the failure names kube-apiserver and its flag",
         "kube-apiserver" in output and "--service-cluster-ip-range" in output),
        ("the apiserver's own error is quoted", "must not contain more than two entries" in output),
        ("%s is restored byte for byte" % path, before["cp1"] == after["cp1"]),
        ("%s keeps mode %s" % (path, want_mode), mode == want_mode),
        ("the apiserver answers /readyz", readyz == "ok"),
        ("Nodes, Services, ServiceCIDRs and ConfigMaps unchanged (single-stack)", before == after),
        ("nothing after the control plane ran", "dualstack.kubernetes.kubelet :" not in output),
    ]
    for name, passed in checks:
        print("%-4s %s" % ("ok" if passed else "FAIL", name))
    print("fault run (apply, %s s timeout, roll back) took %.1f s" % (60, seconds))
    quoted = output.partition("Its log ends with:")[2].split("\n")[0].strip()
    print("the quoted log: %s" % (quoted[-600:] or "(none)"))
    Path(inv.name).unlink()
    if not all(passed for _, passed in checks):
        print(output[-4000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
