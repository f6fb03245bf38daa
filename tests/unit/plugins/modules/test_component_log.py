# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The component_log module with a fake crictl and pod log files (modules/component_log.py)."""

from __future__ import annotations

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.dualstack.kubernetes.plugins.modules import component_log

FRESH = "I1205 10:00:00.000001 1 server.go:1] starting"
FAILED = "E1205 09:59:58.000001 1 run.go:72] \"command failed\" err=\"invalid --service-cluster-ip-range\""


@pytest.fixture
def fake_crictl(tmp_path, monkeypatch):
    """crictl with two kube-apiserver containers: the newest just started, the older failed."""
    script = tmp_path / "bin" / "crictl"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\ncase \"$1\" in\n  ps) printf 'new\\nold\\n' ;;\n"
                      "  logs) [ \"$4\" = new ] && echo '%s' || echo '%s' >&2 ;;\nesac\n" % (FRESH, FAILED))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (script.parent, os.environ["PATH"]))
    return tmp_path


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            component_log.main()
    return json.loads(capsys.readouterr().out)


def test_the_container_whose_log_says_why_is_quoted(capsys, fake_crictl):
    result = run(capsys, component="kube-apiserver", tries=1, pod_log_dir=str(fake_crictl / "pods"))
    assert result["source"] == "container old" and result["lines"] == [FAILED]
    assert result["changed"] is False


def test_pod_log_files_and_the_newest_log_without_errors(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # no crictl: pod log files only
    logs = tmp_path / "pods" / "kube-system_kube-apiserver-cp1_0a" / "kube-apiserver"
    logs.mkdir(parents=True)
    (logs / "0.log").write_text("2026-12-05T09:59:58Z stderr F %s\n" % FAILED)
    result = run(capsys, component="kube-apiserver", tries=1, pod_log_dir=str(tmp_path / "pods"))
    assert result["source"].endswith("0.log") and FAILED in result["lines"][0]
    (logs / "0.log").write_text("2026-12-05T10:00:00Z stdout F %s\n" % FRESH)
    result = run(capsys, component="kube-apiserver", tries=2, delay=0, pod_log_dir=str(tmp_path / "pods"))
    assert result["source"].endswith("0.log") and FRESH in result["lines"][0]
    assert run(capsys, component="etcd", tries=1, pod_log_dir=str(tmp_path / "pods"))["source"] == "none"


STARTED = ('2026-12-05T04:50:07.657008589Z stderr F I1205 04:50:07.656798       1 controllermanager.go:781] '
           '"Started controller" controller="node-ipam-controller"')


def test_match_reads_the_newest_containers_whole_log_rotated_parts_included(capsys, tmp_path, monkeypatch):
    """As the kubelet lays them out: /var/log/pods/<ns>_<pod>_<uid>/<container>/<restarts>.log(.<time>)."""
    monkeypatch.setenv("PATH", "/nonexistent")
    logs = tmp_path / "pods" / "kube-system_kube-controller-manager-cp1_1b" / "kube-controller-manager"
    logs.mkdir(parents=True)
    (logs / "0.log").write_text(STARTED + "\n")
    os.utime(logs / "0.log", (1, 1))
    (logs / "1.log.20261205-045500").write_text("x\n" + STARTED + "\n")
    (logs / "1.log").write_text("\n".join("I1205 line %d" % i for i in range(500)) + "\n")
    result = run(capsys, component="kube-controller-manager", pod_log_dir=str(tmp_path / "pods"),
                 match=r'"Started controller" controller="node-ipam-controller"')
    assert result["source"].endswith("1.log") and result["matched"] == [STARTED]
    # The newest container (restart 2) has not started it: nothing matched, though an older one did.
    (logs / "2.log").write_text("I1205 starting\n")
    result = run(capsys, component="kube-controller-manager", pod_log_dir=str(tmp_path / "pods"), match="node-ipam")
    assert result["source"].endswith("2.log") and result["matched"] == []
