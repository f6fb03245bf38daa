"""Unit tests of dslab.nodes (pure parts: cgroups parsing, nspawn flags, files)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from dslab import net, nodes  # noqa: E402

MOUNTINFO = """\
30 24 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:28 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
34 30 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
35 30 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
36 30 0:32 / /sys/fs/cgroup/net rw,relatime - cgroup cgroup rw,net_cls,net_prio
"""
PROC_CGROUP = """\
7:net_cls,net_prio:/
4:memory:/process_api/abc
3:cpuset:/
2:name=systemd:/
1:cpu:/
0::/
"""


def test_parse_cgroup_hierarchies_covers_every_line() -> None:
    got = nodes.parse_cgroup_hierarchies(MOUNTINFO, PROC_CGROUP)
    assert got == [
        (Path("/sys/fs/cgroup/net"), "/"),
        (Path("/sys/fs/cgroup/memory"), "/process_api/abc"),
        (Path("/sys/fs/cgroup/cpuset"), "/"),
        (Path("/sys/fs/cgroup/systemd"), "/"),
        (Path("/sys/fs/cgroup/cpu"), "/"),
        (Path("/sys/fs/cgroup/unified"), "/"),
    ]


def test_parse_cgroup_hierarchies_skips_unmounted() -> None:
    got = nodes.parse_cgroup_hierarchies("", PROC_CGROUP)
    assert got == []


def test_node_cgroups_are_children_of_our_own(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_CACHE", str(tmp_path))
    monkeypatch.setattr(nodes, "cgroup_hierarchies",
                        lambda: nodes.parse_cgroup_hierarchies(MOUNTINFO, PROC_CGROUP))
    monkeypatch.setattr(nodes, "cache_root", lambda: tmp_path)
    dirs = nodes.node_cgroups(net.node("w1"))
    assert Path("/sys/fs/cgroup/memory/process_api/abc/dslab-w1") in dirs
    assert Path("/sys/fs/cgroup/cpu/dslab-w1") in dirs
    assert len(dirs) == 6


def test_nspawn_argv_has_the_lab_notes_flags() -> None:
    argv = nodes.nspawn_argv(net.node("cp1"))
    for flag in ("--boot", "--register=no", "--keep-unit", "--capability=all",
                 "--private-users=no", "--system-call-filter=@keyring", "--bind=/dev/kmsg",
                 "--network-namespace-path=/run/netns/dslab-cp1", "--machine=dslab-cp1",
                 "--console=read-only"):
        assert flag in argv


def test_hosts_file_names_every_node_in_both_families() -> None:
    text = nodes.hosts_file()
    for n in net.ALL_NODES:
        assert f"{n.ipv4} {n.name}" in text
        assert f"{n.ipv6} {n.name}" in text


def test_base_key_changes_with_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    before = nodes.base_key()
    monkeypatch.setattr(nodes, "PACKAGES", nodes.PACKAGES + ("jq",))
    assert nodes.base_key() != before


def test_units_that_touch_the_host_are_masked() -> None:
    for unit in ("systemd-sysctl.service", "systemd-udev-trigger.service",
                 "systemd-binfmt.service", "fstrim.timer"):
        assert unit in nodes.MASKED_UNITS


def test_package_set_has_what_kubeadm_and_ansible_need() -> None:
    for pkg in ("openssh-server", "python3", "containerd", "runc",
                "containernetworking-plugins", "iptables", "conntrack", "iproute2"):
        assert pkg in nodes.PACKAGES


def test_ssh_argv_uses_lab_key_and_ipv4(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_RUN", str(tmp_path))
    argv = nodes.node_ssh_argv(net.node("w2"), ["uname"])
    assert argv[0] == "ssh" and argv[-2:] == ["root@192.168.77.22", "uname"]
    assert str(tmp_path / "ssh" / "id_ed25519") in argv
