# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The component_probe module against a real process and a real HTTPS-less endpoint (modules/component_probe.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.dualstack.kubernetes.plugins.modules import component_probe


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            component_probe.main()
    return json.loads(capsys.readouterr().out)


def test_a_missing_process_is_reported_not_failed(capsys):
    result = run(capsys, component="kube-apiserver", want="--no-such-flag=1", timeout=0)
    assert result == {"changed": False, "healthy": False, "pid": None, "started": None,
                      "msg": "no kube-apiserver process with --no-such-flag=1", "invocation": result["invocation"]}


def test_a_process_with_the_flag_that_does_not_answer(capsys):
    """A real process whose argv[0] is kube-controller-manager, with the flag, nothing listening on its port."""
    proc = subprocess.Popen(["kube-controller-manager", "-c", "import time; time.sleep(30)", "--bind-address=127.0.0.1",
                             "--secure-port=1", "--cluster-cidr=x"], executable=sys.executable)
    cmdline = Path("/proc/%d/cmdline" % proc.pid)
    for _attempt in range(200):  # until the child has exec'd (a busy machine may take a while)
        if b"--cluster-cidr=x" in cmdline.read_bytes():
            break
        time.sleep(0.05)
    try:
        result = run(capsys, component="kube-controller-manager", want="--cluster-cidr=x", timeout=0)
    finally:
        proc.kill()
    assert result["healthy"] is False and result["pid"] is None
    assert result["msg"].startswith("kube-controller-manager (pid %d) not healthy: " % proc.pid)
