"""Unit tests of dslab.images: references, layers and the docker-archive layout."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from dslab import build, images  # noqa: E402


def test_image_refs_match_kubeadm_1_34_12():
    assert images.image_refs("v1.34.12") == {
        "kube-apiserver": "registry.k8s.io/kube-apiserver:v1.34.12",
        "kube-controller-manager": "registry.k8s.io/kube-controller-manager:v1.34.12",
        "kube-scheduler": "registry.k8s.io/kube-scheduler:v1.34.12",
        "kube-proxy": "registry.k8s.io/kube-proxy:v1.34.12",
        "coredns": "registry.k8s.io/coredns/coredns:v1.12.1",
        "pause": "registry.k8s.io/pause:3.10.1",
        "etcd": "registry.k8s.io/etcd:3.6.5-0",
        "agnhost": "registry.k8s.io/e2e-test-images/agnhost:2.56",
        "testbox": "dualstack.lab/testbox:1",
    }
    assert images.image_refs() == images.image_refs(build.DEFAULT_VERSION)
    assert set(images.ROLES) == set(images.image_refs())


def test_tarball_name():
    assert images.tarball_name("registry.k8s.io/pause:3.10.1") == "registry.k8s.io_pause_3.10.1.tar"
    assert images.tarball_name("dualstack.lab/testbox:1") == "dualstack.lab_testbox_1.tar"


def _members(blob: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        return tar.getmembers()


def test_layer_tar_is_sorted_with_parents_fixed_mtime_and_root_owner(tmp_path):
    src = tmp_path / "tool"
    src.write_bytes(b"#!/bin/sh\n")
    src.chmod(0o700)
    layer = images.Layer()
    layer.add_file("/usr/local/bin/tool", src, 0o755)
    layer.add_bytes("/etc/hosts", b"127.0.0.1 localhost\n")
    layer.add_symlink("/bin/sh", "busybox")
    blob = images.layer_tar(layer)
    members = _members(blob)
    names = [m.name for m in members]
    assert names == sorted(names)
    assert names == ["bin", "bin/sh", "etc", "etc/hosts", "usr", "usr/local", "usr/local/bin",
                     "usr/local/bin/tool"]
    assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 for m in members)
    by_name = {m.name: m for m in members}
    assert by_name["bin/sh"].issym() and by_name["bin/sh"].linkname == "busybox"
    assert by_name["usr/local/bin/tool"].mode == 0o755
    assert by_name["usr"].isdir()
    assert images.layer_tar(layer) == blob  # deterministic


def _spec(tmp_path: Path, ref: str = "dualstack.lab/unit:1") -> images.ImageSpec:
    binary = tmp_path / "app"
    binary.write_bytes(b"\x7fELF fake binary")
    return images.ImageSpec(ref, [images.base_layer(),
                                  images.binary_layer({"/usr/local/bin/app": binary})],
                            entrypoint=["/usr/local/bin/app"], exposed_ports=["80/tcp"])


def test_archive_layout_digests_match_blobs(tmp_path):
    dest = tmp_path / "img.tar"
    config_digest = images.write_archive(_spec(tmp_path), dest)
    with tarfile.open(dest) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    manifest = json.loads(files["manifest.json"])
    assert len(manifest) == 1
    entry = manifest[0]
    assert entry["RepoTags"] == ["dualstack.lab/unit:1"]
    assert entry["Config"] == f"blobs/sha256/{config_digest}"
    config_blob = files[entry["Config"]]
    assert hashlib.sha256(config_blob).hexdigest() == config_digest
    config = json.loads(config_blob)
    assert config["architecture"] == "amd64" and config["os"] == "linux"
    assert config["config"]["Entrypoint"] == ["/usr/local/bin/app"]
    assert config["config"]["ExposedPorts"] == {"80/tcp": {}}
    assert any(e.startswith("PATH=") and "/usr/local/bin" in e for e in config["config"]["Env"])
    assert len(entry["Layers"]) == 2
    diff_ids = []
    for layer_path in entry["Layers"]:
        digest = hashlib.sha256(files[layer_path]).hexdigest()
        assert layer_path == f"blobs/sha256/{digest}"
        diff_ids.append(f"sha256:{digest}")
    assert config["rootfs"] == {"type": "layers", "diff_ids": diff_ids}
    assert len(config["history"]) == 2
    app_layer = {m.name: m for m in _members(files[entry["Layers"][1]])}
    assert app_layer["usr/local/bin/app"].mode == 0o755
    assert set(files) == {"manifest.json", entry["Config"], *entry["Layers"]}


def test_archive_is_deterministic(tmp_path):
    first, second = tmp_path / "a.tar", tmp_path / "b.tar"
    d1 = images.write_archive(_spec(tmp_path), first)
    time.sleep(0.01)
    d2 = images.write_archive(_spec(tmp_path), second)
    assert d1 == d2
    assert first.read_bytes() == second.read_bytes()
    assert not list(tmp_path.glob("*.partial"))


def test_different_refs_share_layers(tmp_path):
    m1 = images.archive_members(_spec(tmp_path, "x.lab/a:1"))[0]
    m2 = images.archive_members(_spec(tmp_path, "x.lab/b:1"))[0]
    layers1 = json.loads(m1["manifest.json"])[0]["Layers"]
    layers2 = json.loads(m2["manifest.json"])[0]["Layers"]
    assert layers1 == layers2


def test_parse_ldd():
    out = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibxtables.so.12 => /lib/x86_64-linux-gnu/libxtables.so.12 (0x00007f)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
\tlibmissing.so => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f)
"""
    assert images.parse_ldd(out) == {"/lib/x86_64-linux-gnu/libxtables.so.12",
                                     "/lib/x86_64-linux-gnu/libc.so.6",
                                     "/lib64/ld-linux-x86-64.so.2"}


def test_add_host_path_recreates_symlinks(tmp_path):
    real = tmp_path / "usr" / "lib"
    real.mkdir(parents=True)
    (real / "libfoo.so.1.2").write_bytes(b"lib")
    (real / "libfoo.so.1").symlink_to("libfoo.so.1.2")
    (tmp_path / "lib").symlink_to("usr/lib")
    layer = images.Layer()
    layer.add_host_path(str(tmp_path / "lib" / "libfoo.so.1"))
    entries = layer.entries
    assert entries[str(tmp_path / "lib")].kind == "symlink"
    assert entries[str(tmp_path / "lib")].target == "usr/lib"
    assert entries[str(real / "libfoo.so.1")].kind == "symlink"
    assert entries[str(real / "libfoo.so.1")].target == "libfoo.so.1.2"
    assert entries[str(real / "libfoo.so.1.2")].kind == "file"
    # nothing is placed under the symlinked directory itself
    assert not any(p.startswith(str(tmp_path / "lib") + "/") for p in entries)


def test_testbox_layer(tmp_path):
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"bb")
    init = tmp_path / "pause"
    init.write_bytes(b"init")
    layer = images.testbox_layer(busybox, ["sh", "httpd", "wget", "nc", "ping", "ping6"], init)
    assert layer.entries["/bin/busybox"].mode == 0o755
    assert layer.entries["/init"].source == init and layer.entries["/init"].mode == 0o755
    for applet in ("sh", "httpd", "wget", "nc", "ping", "ping6"):
        assert layer.entries[f"/bin/{applet}"].target == "busybox"
    assert layer.entries["/www/cgi-bin/whoami"].mode == 0o755
    assert layer.entries["/www/index.html"].data == images.TESTBOX_INDEX


def test_agnhost_layer(tmp_path):
    agnhost = tmp_path / "agnhost"
    agnhost.write_bytes(b"go")
    busybox = tmp_path / "busybox"
    busybox.write_bytes(b"bb")
    layer = images.agnhost_layer(agnhost, busybox, ["sh", "nc", "nslookup", "cat"])
    assert layer.entries["/agnhost"].source == agnhost and layer.entries["/agnhost"].mode == 0o755
    assert layer.entries["/agnhost-2"].target == "agnhost"
    assert layer.entries["/uploads"].kind == "dir"
    for applet in ("sh", "nc", "nslookup", "cat"):
        assert layer.entries[f"/bin/{applet}"].target == "busybox"
    assert b"user-defined-in-image:x:1000:" in layer.entries["/etc/passwd"].data
    assert b"group-defined-in-image:x:50000:user-defined-in-image" in layer.entries["/etc/group"].data


@pytest.mark.skipif(not Path(images.BUSYBOX).exists(), reason="no host busybox")
def test_agnhost_image_spec_like_upstream(tmp_path):
    bins = tmp_path / "bin"
    bins.mkdir()
    refs = images.image_refs("v1.34.12")
    assert images.image_spec("agnhost", refs["agnhost"], bins, tmp_path / "pause") is None  # not built
    (bins / "agnhost").write_bytes(b"x")
    spec = images.image_spec("agnhost", refs["agnhost"], bins, tmp_path / "pause")
    assert spec.ref == "registry.k8s.io/e2e-test-images/agnhost:2.56"
    assert spec.entrypoint == ["/agnhost"] and spec.cmd == ["pause"]
    assert "8080/tcp" in spec.exposed_ports and any("/bin" in e.split(":") for e in spec.env)
    top = spec.layers[-1].entries
    # what the verify role runs in it: nslookup -type=a/aaaa, cat /etc/resolv.conf; and sh, nc
    for applet in ("sh", "nc", "nslookup", "cat"):
        assert top[f"/bin/{applet}"].target == "busybox"
    out = subprocess.run([images.BUSYBOX, "nslookup", "--help"], capture_output=True, text=True, check=False)
    assert "-type=" in out.stdout + out.stderr


def test_image_spec_configs(tmp_path):
    bins = tmp_path / "bin"
    bins.mkdir()
    for name in ("kube-apiserver", "etcd", "etcdctl"):
        (bins / name).write_bytes(b"x")
    pause = tmp_path / "pause"
    pause.write_bytes(b"p")
    refs = images.image_refs("v1.34.12")
    api = images.image_spec("kube-apiserver", refs["kube-apiserver"], bins, pause)
    assert api.entrypoint == ["/usr/local/bin/kube-apiserver"]
    assert "/usr/local/bin/kube-apiserver" in api.layers[-1].entries
    etcd = images.image_spec("etcd", refs["etcd"], bins, pause)
    assert {"/usr/local/bin/etcd", "/usr/local/bin/etcdctl"} <= set(etcd.layers[-1].entries)
    assert images.image_spec("coredns", refs["coredns"], bins, pause) is None
    p = images.image_spec("pause", refs["pause"], bins, pause)
    assert p.entrypoint == ["/pause"] and list(p.layers[0].entries) == ["/pause"]
    with pytest.raises(ValueError):
        images.image_spec("nope", "x", bins, pause)


@pytest.mark.skipif(not Path("/usr/sbin/xtables-nft-multi").exists(), reason="no host iptables")
def test_iptables_layer_uses_nft_backend_and_carries_libraries():
    layer = images.iptables_layer()
    entries = layer.entries
    for command in images.IPTABLES_COMMANDS:
        assert entries[f"/usr/sbin/{command}"].target == "xtables-nft-multi"
    assert entries["/usr/sbin/iptables-legacy-restore"].target == "xtables-legacy-multi"
    assert entries["/usr/sbin/xtables-nft-multi"].kind == "file"
    assert entries["/usr/sbin/conntrack"].kind == "file"
    assert entries["/lib64"].kind == "symlink"
    assert any(p.endswith("/libc.so.6") for p in entries)
    assert any(p.endswith("/ld-linux-x86-64.so.2") and e.kind == "file" for p, e in entries.items())
    assert any(p.endswith("/xtables/libxt_conntrack.so") for p in entries)
    assert any(p.endswith("/libnftnl.so.11") for p in entries)
    assert entries["/usr/sbin/nft"].kind == "file"
    assert any(p.endswith("/libnftables.so.1") for p in entries)
    # nft names protocols only with /etc/protocols (kube-proxy's nftables mode compares names).
    assert entries["/etc/protocols"].kind == "file"
    assert entries["/etc/services"].kind == "file"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_pause_compiles_statically_and_exits_on_sigterm(tmp_path):
    binary = images.compile_pause(tmp_path / "pause")
    ldd = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False)
    assert ldd.returncode != 0 or "not a dynamic" in ldd.stdout
    proc = subprocess.Popen([str(binary)], stderr=subprocess.DEVNULL)
    time.sleep(0.2)
    assert proc.poll() is None  # pauses
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0
    proc = subprocess.Popen([str(binary)], stderr=subprocess.DEVNULL)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=5) == 0


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_pause_as_init_runs_command_forwards_signals_and_returns_status(tmp_path):
    binary = str(images.compile_pause(tmp_path / "pause"))
    assert subprocess.run([binary, "sh", "-c", "exit 7"], check=False).returncode == 7
    assert subprocess.run([binary, "/nonexistent"], stderr=subprocess.DEVNULL,
                          check=False).returncode == 127
    marker = tmp_path / "got-term"
    proc = subprocess.Popen([binary, "sh", "-c",
                             f"trap 'touch {marker}; exit 3' TERM; while :; do sleep 0.05; done"])
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 3
    assert marker.exists()
    proc = subprocess.Popen([binary, "sleep", "30"])
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 128 + signal.SIGTERM


@pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("unshare") is None
                    or os.geteuid() != 0, reason="needs gcc, unshare and root")
def test_pause_reaps_orphans_as_pid_1(tmp_path):
    binary = images.compile_pause(tmp_path / "pause")
    # pause becomes PID 1 of a new PID namespace; a shell started in that namespace leaves an
    # orphan behind, which must be reaped by pause rather than stay a zombie.
    ns = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", str(binary)],
                          stderr=subprocess.DEVNULL)
    pause_pid = None
    try:
        for _attempt in range(50):
            kids = Path(f"/proc/{ns.pid}/task/{ns.pid}/children").read_text().split()
            if kids:
                pause_pid = int(kids[0])
                break
            time.sleep(0.05)
        assert pause_pid is not None
        subprocess.run(["nsenter", "-t", str(pause_pid), "-p", "-m", "sh", "-c",
                        "sh -c 'sleep 0.5 &' ; true"], check=True)
        children = Path(f"/proc/{pause_pid}/task/{pause_pid}/children").read_text().split()
        assert len(children) == 1  # the orphaned sleep now belongs to pause
        time.sleep(1.5)
        children = Path(f"/proc/{pause_pid}/task/{pause_pid}/children").read_text().split()
        assert children == []  # it exited and was reaped, no zombie left
    finally:
        if pause_pid is not None:
            os.kill(pause_pid, signal.SIGTERM)  # unshare does not forward signals
        else:
            ns.kill()
        assert ns.wait(timeout=5) == 0


def test_inputs_fingerprint_changes_with_inputs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("one")
    b.write_text("two")
    first = images.inputs_fingerprint("v1.34.12", [a, b])
    assert images.inputs_fingerprint("v1.34.12", [a, b]) == first
    assert images.inputs_fingerprint("v1.34.13", [a, b]) != first
    b.write_text("three")
    assert images.inputs_fingerprint("v1.34.12", [a, b]) != first


def test_check_host_names_missing_packages(tmp_path):
    present = tmp_path / "present"
    present.write_text("x")
    images.check_host({str(present): "iptables"})
    with pytest.raises(RuntimeError, match="apt-get install -y conntrack nftables"):
        images.check_host({str(present): "iptables", str(tmp_path / "a"): "nftables",
                           str(tmp_path / "b"): "conntrack", str(tmp_path / "c"): "nftables"})


def test_images_current_needs_stamp_and_every_wanted_tarball(tmp_path, monkeypatch):
    monkeypatch.setenv("DUALSTACK_LAB_CACHE", str(tmp_path / "cache"))
    bins = tmp_path / "bin"
    bins.mkdir()
    out = tmp_path / "images"
    out.mkdir()
    assert images.wanted_roles(bins) == [r for r in images.ROLES if r not in ("coredns", "agnhost")]
    refs = images.image_refs("v1.34.12")
    for role in images.wanted_roles(bins):
        (out / images.tarball_name(refs[role])).write_bytes(b"tar")
    assert not images.images_current("v1.34.12", bins, out)  # no stamp yet
    (out / "inputs.sha256").write_text(images.inputs_fingerprint("v1.34.12") + "\n")
    assert images.images_current("v1.34.12", bins, out)
    (bins / "coredns").write_bytes(b"x")  # CoreDNS built later: its image is now wanted
    assert "coredns" in images.wanted_roles(bins)
    assert not images.images_current("v1.34.12", bins, out)
    (out / "inputs.sha256").write_text("stale\n")
    (out / images.tarball_name(refs["coredns"])).write_bytes(b"tar")
    assert not images.images_current("v1.34.12", bins, out)
