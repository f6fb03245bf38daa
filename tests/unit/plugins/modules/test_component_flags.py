# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Real runs of the component_flags module on real files in tmp_path.

The module's ``main()`` runs under ansible-core's own test harness
(``ansible.module_utils.testing.patch_module_args``); its JSON result is read from
stdout after ``SystemExit``. One test also runs it as a separate process with an
args file, the way a module runs on a host.

Fixtures: ``kube-apiserver.yaml`` and ``kube-controller-manager.yaml`` reproduce what
kubeadm v1.34 writes (sigs.k8s.io/yaml: keys sorted, two-space indent, list items at
their key's column, no ``creationTimestamp: null`` since metav1 omits the zero time);
``kubeadm-flags.env`` is kubeadm's kubelet env file; ``kube-apiserver.service`` is a
hand-installed unit with one flag per continuation line.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.dualstack.kubernetes.plugins.modules import component_flags

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DUAL_SERVICES = "10.96.0.0/12,fd00:10:96::/108"


def run(capsys, **args):
    """Run the module's main() with ``args``; return its JSON result."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            component_flags.main()
    result = json.loads(capsys.readouterr().out)
    assert (exc.value.code == 0) is not result.get("failed", False)
    return result


@pytest.fixture
def place(tmp_path):
    """Copy a fixture into tmp_path with the mode a cluster gives it; return its path."""

    def copy(name: str, mode: int = 0o600, text: str | None = None) -> Path:
        target = tmp_path / name
        if text is None:
            shutil.copyfile(FIXTURES / name, target)
        else:
            target.write_text(text)
        target.chmod(mode)
        return target

    return copy


def fingerprint(path: Path):
    """What must not move when nothing changes: bytes, inode, mtime, mode."""
    info = path.stat()
    return path.read_bytes(), info.st_ino, info.st_mtime_ns, stat.S_IMODE(info.st_mode)


# --------------------------------------------------------------------------- manifests


def test_apiserver_service_range(capsys, place):
    path = place("kube-apiserver.yaml")
    before = path.read_text()
    result = run(capsys, path=str(path), flags={"service-cluster-ip-range": ["10.96.0.0/12", "fd00:10:96::/108"]})
    assert result["changed"] is True
    assert result["format"] == "manifest"
    assert result["flags"]["service-cluster-ip-range"] == DUAL_SERVICES
    assert result["flags"]["allow-privileged"] == "true"
    assert "backup_file" not in result
    assert path.read_text() == before.replace(
        "- --service-cluster-ip-range=10.96.0.0/12\n", "- --service-cluster-ip-range=%s\n" % DUAL_SERVICES
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name != path.name]  # no temp file left


def test_second_run_changes_nothing(capsys, place):
    path = place("kube-apiserver.yaml")
    flags = {"service-cluster-ip-range": DUAL_SERVICES, "v": 2}
    assert run(capsys, path=str(path), flags=flags)["changed"] is True
    first = fingerprint(path)
    result = run(capsys, path=str(path), flags=flags)
    assert result["changed"] is False
    assert fingerprint(path) == first


def test_unchanged_manifest_is_not_rewritten(capsys, place):
    path = place("kube-controller-manager.yaml")
    first = fingerprint(path)
    result = run(capsys, path=str(path), flags={"cluster-cidr": "10.244.0.0/16", "node-cidr-mask-size": None})
    assert result["changed"] is False
    assert fingerprint(path) == first


def test_controller_manager_atomic_switch(capsys, place):
    legacy = (FIXTURES / "kube-controller-manager.yaml").read_text().replace(
        "    - --leader-elect=true\n", "    - --leader-elect=true\n    - --node-cidr-mask-size=24\n"
    )
    path = place("kube-controller-manager.yaml", text=legacy)
    result = run(
        capsys,
        path=str(path),
        container="kube-controller-manager",
        flags={
            "cluster-cidr": "10.244.0.0/16,fd00:10:244::/56",
            "service-cluster-ip-range": DUAL_SERVICES,
            "node-cidr-mask-size-ipv4": 24,
            "node-cidr-mask-size-ipv6": 64,
            "node-cidr-mask-size": None,
        },
    )
    assert result["changed"] is True
    text = path.read_text()
    assert "--node-cidr-mask-size=" not in text
    assert text == (FIXTURES / "kube-controller-manager.yaml").read_text().replace(
        "    - --cluster-cidr=10.244.0.0/16\n", "    - --cluster-cidr=10.244.0.0/16,fd00:10:244::/56\n"
    ).replace(
        "    - --service-cluster-ip-range=10.96.0.0/12\n", "    - --service-cluster-ip-range=%s\n" % DUAL_SERVICES
    ).replace(
        "    - --use-service-account-credentials=true\n",
        "    - --use-service-account-credentials=true\n"
        "    - --node-cidr-mask-size-ipv4=24\n"
        "    - --node-cidr-mask-size-ipv6=64\n",
    )
    assert "node-cidr-mask-size" not in result["flags"]


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_owner_group_and_mode_are_kept(capsys, place):
    path = place("kube-apiserver.yaml", mode=0o640)
    os.chown(path, 4321, 8765)
    run(capsys, path=str(path), flags={"v": 4})
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4321, 8765, 0o640)


def test_check_mode_changes_nothing(capsys, place):
    path = place("kube-apiserver.yaml")
    first = fingerprint(path)
    result = run(capsys, path=str(path), flags={"v": 4}, backup=True, _ansible_check_mode=True)
    assert result["changed"] is True
    assert result["flags"]["v"] == "4"
    assert "backup_file" not in result
    assert fingerprint(path) == first
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_diff_shows_whole_manifest(capsys, place):
    path = place("kube-apiserver.yaml")
    before = path.read_text()
    result = run(capsys, path=str(path), flags={"v": 4}, _ansible_diff=True, _ansible_check_mode=True)
    assert result["diff"]["before"] == before
    assert result["diff"]["after"] == before.replace(
        "apiserver.key\n    image:", "apiserver.key\n    - --v=4\n    image:"
    )
    assert result["diff"]["before_header"] == str(path)


def test_no_diff_key_without_diff_mode(capsys, place):
    path = place("kube-apiserver.yaml")
    assert "diff" not in run(capsys, path=str(path), flags={"v": 4})


def test_backup_keeps_original(capsys, place):
    path = place("kube-apiserver.yaml")
    before = path.read_bytes()
    result = run(capsys, path=str(path), flags={"v": 4}, backup=True)
    backup = Path(result["backup_file"])
    assert backup.parent == path.parent and backup != path
    assert backup.read_bytes() == before
    assert path.read_bytes() != before
    # Nothing to change: no new backup.
    result = run(capsys, path=str(path), flags={"v": 4}, backup=True)
    assert "backup_file" not in result
    assert len(list(path.parent.iterdir())) == 2


def test_manifest_backup_is_hidden_from_the_kubelet(capsys, place):
    # The kubelet reads every file of the manifest directory not starting with ".".
    path = place("kube-apiserver.yaml")
    result = run(capsys, path=str(path), flags={"v": 4}, backup=True)
    backup = Path(result["backup_file"])
    assert backup.name.startswith(".kube-apiserver.yaml.") and backup.name.endswith("~")
    assert [p.name for p in path.parent.iterdir() if not p.name.startswith(".")] == [path.name]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_env_backup_uses_backup_local_name(capsys, place):
    path = place("kubeadm-flags.env", mode=0o644)
    before = path.read_bytes()
    result = run(capsys, path=str(path), flags={"v": 4}, backup=True)
    backup = Path(result["backup_file"])
    assert backup.name.startswith("kubeadm-flags.env.")
    assert backup.read_bytes() == before


def test_symlink_target_is_edited(capsys, place, tmp_path):
    target = place("kube-apiserver.yaml")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    run(capsys, path=str(link), flags={"v": 4})
    assert link.is_symlink()
    assert "- --v=4\n" in target.read_text()


def test_unknown_container(capsys, place):
    path = place("kube-apiserver.yaml")
    first = fingerprint(path)
    result = run(capsys, path=str(path), container="etcd", flags={"v": 4})
    assert result["failed"] is True
    assert result["msg"].startswith(str(path) + ": ")
    assert "no container named 'etcd' (containers present: kube-apiserver): set container" in result["msg"]
    assert fingerprint(path) == first


def test_not_a_pod(capsys, place):
    path = place("deploy.yaml", text="apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n")
    result = run(capsys, path=str(path), flags={"v": 4})
    assert result["failed"] is True
    assert "expected a static Pod manifest (kind: Pod), found kind: Deployment" in result["msg"]
    assert str(path) in result["msg"]


# --------------------------------------------------------------------------- environment files


def test_kubelet_node_ip_in_env_file(capsys, place):
    path = place("kubeadm-flags.env", mode=0o644)
    before = path.read_text()
    result = run(
        capsys, path=str(path), flags={"node-ip": ["172.18.0.2", "fc00:f853:ccd:e793::2"]}, _ansible_diff=True
    )
    assert result["changed"] is True
    assert result["format"] == "env"
    assert path.read_text() == before.replace("--node-ip=172.18.0.2 ", "--node-ip=172.18.0.2,fc00:f853:ccd:e793::2 ")
    assert result["diff"]["before"] == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert run(capsys, path=str(path), flags={"node-ip": "172.18.0.2,fc00:f853:ccd:e793::2"})["changed"] is False


def test_env_bytes_outside_the_variable_are_kept(capsys, place):
    text = (
        "# kubeadm writes this file\nKUBELET_EXTRA_ARGS=\"--max-pods=50\"\n\n"
        "KUBELET_KUBEADM_ARGS=\"--a=1\"\nOTHER=keep  "
    )
    path = place("flags.env", text=text)
    result = run(capsys, path=str(path), env_var="KUBELET_KUBEADM_ARGS", flags={"b": True}, _ansible_diff=True)
    assert path.read_bytes() == text.replace('"--a=1"', '"--a=1 --b=true"').encode()
    # The diff shows the flags line only, never the file's other variables.
    assert result["diff"] == {
        "before": 'KUBELET_KUBEADM_ARGS="--a=1"\n',
        "after": 'KUBELET_KUBEADM_ARGS="--a=1 --b=true"\n',
        "before_header": str(path),
        "after_header": str(path),
    }


def test_env_several_variables_need_env_var(capsys, place):
    path = place("flags.env", text='A="--x=1"\nB="--y=2"\n')
    first = fingerprint(path)
    result = run(capsys, path=str(path), flags={"x": 2})
    assert result["failed"] is True
    assert "several variables (A, B): set env_var" in result["msg"]
    assert fingerprint(path) == first


def test_env_missing_variable(capsys, place):
    path = place("kubeadm-flags.env")
    result = run(capsys, path=str(path), env_var="KUBELET_EXTRA_ARGS", flags={"x": 2})
    assert result["failed"] is True
    assert "no variable KUBELET_EXTRA_ARGS (variables present: KUBELET_KUBEADM_ARGS)" in result["msg"]


def test_secret_values_are_masked(capsys, place):
    line = 'ARGS="--bootstrap-token=abcdef.0123456789abcdef --token-auth-file=/etc/tokens.csv"\n'
    path = place("flags.env", text=line)
    result = run(capsys, path=str(path), flags={"password": "hunter2-long"}, _ansible_diff=True)
    out = json.dumps(result)
    assert "hunter2-long" not in out
    assert "abcdef.0123456789abcdef" not in out
    assert result["flags"]["token-auth-file"] == "/etc/tokens.csv"
    assert "--password=hunter2-long" in path.read_text()
    # Removing a secret flag: the diff's "before" still must not show it.
    result = run(capsys, path=str(path), flags={"password": None, "bootstrap-token": None}, _ansible_diff=True)
    out = json.dumps(result)
    assert result["changed"] is True
    assert "hunter2-long" not in out and "abcdef.0123456789abcdef" not in out
    assert "--password=********" in result["diff"]["before"]


# --------------------------------------------------------------------------- systemd units


def test_systemd_unit(capsys, place):
    path = place("kube-apiserver.service", mode=0o644)
    before = path.read_text()
    result = run(
        capsys,
        path=str(path),
        flags={
            "service-cluster-ip-range": "10.32.0.0/24,fd00:10:32::/108",
            "event-ttl": None,
            "allow-privileged": True,
        },
    )
    assert result["changed"] is True
    assert result["format"] == "systemd"
    assert path.read_text() == before.replace(
        "--service-cluster-ip-range=10.32.0.0/24 \\", "--service-cluster-ip-range=10.32.0.0/24,fd00:10:32::/108 \\"
    ).replace("  --event-ttl=1h \\\n", "")
    assert result["flags"]["v"] == "2"


# --------------------------------------------------------------------------- failures


def test_missing_file(capsys, tmp_path):
    path = tmp_path / "nope.yaml"
    result = run(capsys, path=str(path), flags={"v": 2})
    assert result["failed"] is True
    assert result["msg"].startswith(str(path) + ": no such file")
    assert not path.exists()


def test_directory_is_refused(capsys, tmp_path):
    result = run(capsys, path=str(tmp_path), flags={"v": 2})
    assert "not a regular file" in result["msg"]


def test_unparseable_content(capsys, place):
    path = place("junk.txt", text="hello world\n")
    first = fingerprint(path)
    result = run(capsys, path=str(path), flags={"v": 2})
    assert result["failed"] is True
    assert "cannot tell the file format" in result["msg"]
    assert fingerprint(path) == first


def test_binary_content(capsys, place, tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(b"\xff\xfe\x00")
    result = run(capsys, path=str(path), flags={"v": 2})
    assert "not UTF-8 text" in result["msg"]


def test_bad_flag_name(capsys, place):
    path = place("kube-apiserver.yaml")
    result = run(capsys, path=str(path), flags={"bad name": 1})
    assert result["failed"] is True
    assert "flag name 'bad name' is not valid" in result["msg"]


def test_required_options(capsys):
    result = run(capsys, flags={"v": 2})
    assert result["failed"] is True
    assert "path" in result["msg"]


def test_without_flags_the_module_reads(capsys, place):
    path = place("kube-apiserver.service", mode=0o644)
    first = fingerprint(path)
    result = run(capsys, path=str(path))
    assert result["changed"] is False
    assert result["flags"]["service-cluster-ip-range"] == "10.32.0.0/24"
    assert result["flags"]["runtime-config"] == "api/all=true"
    assert len(result["flags"]) == 21
    assert fingerprint(path) == first


def test_manifest_without_pyyaml_names_the_library(capsys, place, monkeypatch):
    from ansible_collections.dualstack.kubernetes.plugins.module_utils import flags_manifest as utils

    monkeypatch.setattr(utils, "HAS_YAML", False)
    monkeypatch.setattr(component_flags, "HAS_YAML", False)
    path = place("kube-apiserver.yaml")
    first = fingerprint(path)
    result = run(capsys, path=str(path), flags={"v": 2})
    assert result["failed"] is True
    assert "PyYAML" in result["msg"] and str(path) in result["msg"]
    assert fingerprint(path) == first
    # Environment files and units need no PyYAML.
    env = place("kubeadm-flags.env")
    assert run(capsys, path=str(env), flags={"v": 2})["changed"] is True


# --------------------------------------------------------------------------- as a process


def test_runs_as_a_separate_process(tmp_path):
    """Run the module file as a host would: a Python process with an args file."""
    path = tmp_path / "kubeadm-flags.env"
    shutil.copyfile(FIXTURES / "kubeadm-flags.env", path)
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"path": str(path), "flags": {"v": 2}}}))
    # conftest put the ansible_collections tree on sys.path; the child gets the same path.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run(
        [sys.executable, "-m", "ansible_collections.dualstack.kubernetes.plugins.modules.component_flags", str(args)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["changed"] is True and result["flags"]["v"] == "2"
    assert path.read_text().endswith(' --v=2"\n')


# --------------------------------------------------------------------------- unit= (systemd services)


@pytest.fixture
def kubelet_unit(tmp_path, monkeypatch):
    """kubeadm's kubelet: unit, 10-kubeadm.conf drop-in, kubeadm-flags.env, /etc/default/kubelet (real files)."""
    unit = tmp_path / "kubelet.service"
    unit.write_text("[Service]\nExecStart=/usr/local/bin/kubelet\n")
    dropin = tmp_path / "10-kubeadm.conf"
    env = tmp_path / "kubeadm-flags.env"
    extra = tmp_path / "kubelet.default"
    dropin.write_text(
        "[Service]\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\n"
        "EnvironmentFile=-%s\nEnvironmentFile=-%s\nExecStart=\n"
        "ExecStart=/usr/local/bin/kubelet $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n" % (env, extra))
    shutil.copyfile(FIXTURES / "kubeadm-flags.env", env)
    env.chmod(0o644)
    extra.write_text("KUBELET_EXTRA_ARGS=\n")
    seen = []

    def unit_files(module, name):
        seen.append(name)
        return name + ".service", [(str(unit), unit.read_text()), (str(dropin), dropin.read_text())]

    monkeypatch.setattr(component_flags, "_unit_files", unit_files)
    return {"unit": unit, "dropin": dropin, "env": env, "extra": extra, "seen": seen}


def test_unit_edits_node_ip_in_the_env_file_it_comes_from(capsys, kubelet_unit):
    dropin_before = kubelet_unit["dropin"].read_text()
    result = run(capsys, unit="kubelet", flags={"node-ip": "192.168.77.21,fd00:77::21"}, backup=True)
    assert kubelet_unit["seen"] == ["kubelet"]
    assert result["changed"] is True and result["daemon_reload"] is False
    assert result["flags"]["node-ip"] == "192.168.77.21,fd00:77::21"
    assert result["flags"]["config"] == "/var/lib/kubelet/config.yaml"
    assert "--node-ip=192.168.77.21,fd00:77::21" in kubelet_unit["env"].read_text()
    assert kubelet_unit["dropin"].read_text() == dropin_before
    assert stat.S_IMODE(kubelet_unit["env"].stat().st_mode) == 0o644
    changed = [f for f in result["files"] if f["changed"]]
    assert [(f["path"], f["env_var"], f["kind"]) for f in changed] == [(str(kubelet_unit["env"]), "KUBELET_KUBEADM_ARGS", "env")]
    assert Path(changed[0]["backup_file"]).read_text() == (FIXTURES / "kubeadm-flags.env").read_text()
    again = run(capsys, unit="kubelet", flags={"node-ip": "192.168.77.21,fd00:77::21"}, backup=True)
    assert again["changed"] is False and "backup_file" not in again


def test_unit_check_mode_and_diff_show_only_the_changed_line(capsys, kubelet_unit):
    before = kubelet_unit["env"].read_text()
    kubelet_unit["extra"].write_text("KUBELET_EXTRA_ARGS=\nOTHER_SECRET_VALUE=hunter2\n")
    result = run(capsys, unit="kubelet", flags={"node-ip": "10.0.0.1"}, _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True
    assert kubelet_unit["env"].read_text() == before
    assert len(result["diff"]) == 1 and "--node-ip=10.0.0.1" in result["diff"][0]["after"]
    assert "hunter2" not in json.dumps(result)


def test_unit_flag_in_environment_value_fails_naming_unit_and_fix(capsys, kubelet_unit):
    result = run(capsys, unit="kubelet", flags={"config": "/elsewhere.yaml"})
    assert result["failed"] is True
    assert result["msg"].startswith("kubelet.service: --config is set in Environment=")
    assert "EnvironmentFile=" in result["msg"]


def test_unit_new_flag_on_a_hand_installed_execstart(capsys, tmp_path, monkeypatch):
    unit = tmp_path / "kube-apiserver.service"
    shutil.copyfile(FIXTURES / "kube-apiserver.service", unit)
    unit.chmod(0o644)
    monkeypatch.setattr(component_flags, "_unit_files", lambda module, name: (name + ".service", [(str(unit), unit.read_text())]))
    result = run(capsys, unit="kube-apiserver", flags={"service-cluster-ip-range": DUAL_SERVICES, "feature-gates": "A=true"})
    assert result["changed"] is True and result["daemon_reload"] is True
    assert result["flags"]["service-cluster-ip-range"] == DUAL_SERVICES and result["flags"]["feature-gates"] == "A=true"
    assert "--feature-gates=A=true" in unit.read_text()


def test_unit_and_path_are_mutually_exclusive(capsys, tmp_path):
    result = run(capsys, unit="kubelet", path=str(tmp_path / "x"))
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
