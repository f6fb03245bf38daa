"""Unit tests of dslab.uml (User-Mode Linux nodes: kernel choice, boot line, units, node files)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from dslab import net, uml  # noqa: E402
from dslab.util import run_dir  # noqa: E402

W1 = net.node("w1")
SHAPED = net.node(net.SHAPED_NODE)


def test_kernel_defaults_to_the_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert uml.selected() == "host" and not uml.active()
    monkeypatch.setenv(uml.KERNEL_ENV, "uml")
    assert uml.active()
    monkeypatch.setenv(uml.KERNEL_ENV, "kvm")
    with pytest.raises(SystemExit, match="DUALSTACK_LAB_KERNEL='kvm': expected one of host, uml"):
        uml.selected()


def test_a_running_lab_keeps_its_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir().mkdir(parents=True)
    (run_dir() / "kernel").write_text("uml\n")
    monkeypatch.setenv(uml.KERNEL_ENV, "host")
    assert uml.active()


def test_every_module_is_built_in() -> None:
    config = "CONFIG_IP_VS=m\nCONFIG_NET=y\n# CONFIG_FOO is not set\nCONFIG_HZ=100\nCONFIG_CMDLINE=\"a=m\"\n"
    assert uml.all_built_in(config) == ("CONFIG_IP_VS=y\nCONFIG_NET=y\n# CONFIG_FOO is not set\nCONFIG_HZ=100\n"
                                        "CONFIG_CMDLINE=\"a=m\"\n")


def test_missing_options_names_what_olddefconfig_dropped() -> None:
    config = "CONFIG_IP_VS=y\n# CONFIG_NF_TABLES_IPV4 is not set\nCONFIG_NF_TABLES=m\n"
    assert uml.missing_options(config, ("IP_VS", "NF_TABLES_IPV4", "NF_TABLES")) == ["NF_TABLES_IPV4", "NF_TABLES"]
    # What Debian's own UML kernel lacks is asked for.
    assert {"NF_TABLES_IPV4", "NF_TABLES_IPV6", "NF_TABLES_INET", "IP_VS", "IP_VS_IPV6"} <= set(uml.KERNEL_OPTIONS)
    assert len(set(uml.KERNEL_OPTIONS)) == len(uml.KERNEL_OPTIONS)


def test_kernel_key_follows_the_source_and_the_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "linux-source-6.1.tar.xz"
    src.write_bytes(b"x")
    key = uml.kernel_key(src)
    src.write_bytes(b"xy")
    resized = uml.kernel_key(src)
    monkeypatch.setattr(uml, "KERNEL_OPTIONS", uml.KERNEL_OPTIONS + ("NET_TEAM",))
    assert len({key, resized, uml.kernel_key(src)}) == 3


def test_boot_argv_runs_in_the_nodes_netns_on_its_rootfs(tmp_path: Path) -> None:
    kernel = tmp_path / "k" / "linux.uml"
    argv = uml.boot_argv(W1, kernel, tmp_path / "rootfs", tmp_path)
    assert argv[:5] == ["ip", "netns", "exec", W1.netns, str(kernel)]
    assert f"hostfs={tmp_path / 'rootfs'}" in argv and "rootfstype=hostfs" in argv
    assert "init=/lib/systemd/systemd" in argv
    assert "vec0:transport=raw,ifname=eth0,depth=128" in argv
    assert f"ubd0={tmp_path / 'containerd.ext4'}" in argv
    assert "mem=2G" in argv and "mem=3G" in uml.boot_argv(net.control_plane(), kernel, tmp_path, tmp_path)
    assert uml.is_boot_argv([a.encode() for a in argv[4:]], W1)
    assert not uml.is_boot_argv([a.encode() for a in argv[4:]], SHAPED)
    assert not uml.is_boot_argv([b"systemd-nspawn", b"umid=dslab-w1"], W1)


def test_exec_argv_quotes_every_word_for_the_remote_shell() -> None:
    argv = uml.exec_argv(["ssh", "root@192.168.77.21"], "/usr/bin:/bin", ["sh", "-c", "echo 'a b' $HOME"])
    assert argv[:2] == ["ssh", "root@192.168.77.21"]
    assert shlex.split(argv[2]) == ["env", "-i", "PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8",
                                    "sh", "-c", "echo 'a b' $HOME"]


def test_net_unit_runs_the_same_link_commands_as_an_nspawn_netns() -> None:
    text = uml.net_unit(W1)
    execs = [line.removeprefix("ExecStart=") for line in text.splitlines() if line.startswith("ExecStart=")]
    assert execs[0] == "-ip link set vec0 name eth0"
    assert execs[2:] == [" ".join(c) for c in net.link_commands(W1)]
    assert f"ip addr replace {W1.ipv4}/24 dev eth0" in execs
    assert f"ip addr replace {W1.ipv6}/64 dev eth0 nodad" in execs
    assert "Before=network-pre.target ssh.service" in text and "DefaultDependencies=no" in text


def test_the_shaped_node_gets_its_second_interface_and_temporary_address() -> None:
    text = uml.net_unit(SHAPED, shaped=True)
    assert "ExecStart=-ip link add eth1 type veth peer name eth1-peer" in text
    assert f"ip addr replace {SHAPED.ipv6}/64 dev eth0 nodad mngtmpaddr" in text
    assert "net.ipv6.conf.eth0.use_tempaddr=1" in text
    for addr in net.SECOND_ADDRESSES:
        assert f"ip addr replace {addr} dev eth1" in text
    assert "eth1" not in uml.net_unit(SHAPED, shaped=False)


def test_disk_unit_binds_containerd_and_the_kubelet_from_the_disk() -> None:
    execs = [line.removeprefix("ExecStart=") for line in uml.disk_unit().splitlines() if line.startswith("ExecStart=")]
    assert execs == [f"mount -t ext4 {uml.DISK_DEVICE} /var/lib/dslab-disk",
                     "mkdir -p /var/lib/dslab-disk/containerd /var/lib/dslab-disk/kubelet /var/lib/dslab-disk/net.d",
                     "mount --bind /var/lib/dslab-disk/containerd /var/lib/containerd",
                     "mount --bind /var/lib/dslab-disk/kubelet /var/lib/kubelet",
                     "mount --bind /var/lib/dslab-disk/net.d /etc/cni/net.d"]
    assert "Before=containerd.service kubelet.service" in uml.disk_unit()


def test_cpuinfo_gets_the_hosts_clock() -> None:
    assert uml.host_clock_mhz("processor\t: 0\nmodel name\t: x\ncpu MHz\t\t: 2596.122\n") == "2596.122"
    assert uml.host_clock_mhz("processor\t: 0\n") == "1000.000"
    text = uml.cpuinfo_unit("2596.122")
    # cadvisor's pattern: (?:cpu MHz|CPU MHz|clock)\s*:\s*([0-9]+\.[0-9]+)
    assert "printf 'cpu MHz\\t\\t: 2596.122\\n' >> /run/dslab-cpuinfo" in text
    assert "ExecStart=mount --bind /run/dslab-cpuinfo /proc/cpuinfo" in text
    assert "Before=containerd.service kubelet.service" in text


def test_install_node_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    disks: list[Path] = []
    monkeypatch.setattr(uml, "ensure_disk", disks.append)
    root = tmp_path / "rootfs"
    (root / "etc/systemd/system").mkdir(parents=True)
    for name in (*uml.UNMASKED_UNITS, "systemd-udevd.service", "systemd-modules-load.service"):
        (root / "etc/systemd/system" / name).symlink_to("/dev/null")
    for _ in range(2):  # idempotent
        uml.install_node_files(W1, root, tmp_path)
    assert not any((root / "etc/systemd/system" / name).is_symlink() for name in uml.UNMASKED_UNITS)
    assert (root / "etc/systemd/system/systemd-udevd.service").is_symlink()  # no udev: devtmpfs is enough
    assert (root / "etc/systemd/system/systemd-modules-load.service").is_symlink()  # every module is built in
    assert "net.ipv4.ip_forward = 1\n" in (root / "etc/sysctl.d/90-dslab.conf").read_text()
    for unit in (uml.NET_UNIT, uml.DISK_UNIT, uml.CPUINFO_UNIT):
        wants = root / "etc/systemd/system/multi-user.target.wants" / unit
        assert wants.is_symlink() and str(wants.readlink()) == f"/etc/systemd/system/{unit}"
    assert all((root / d).is_dir() for d in ("var/lib/dslab-disk", "var/lib/containerd", "var/lib/kubelet"))
    assert disks == [tmp_path, tmp_path]


def test_control_plane_probes_and_leader_election_are_patient(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    patch = yaml.safe_load(uml.probe_patch("kube-apiserver"))
    container = patch["spec"]["containers"][0]
    assert container["name"] == "kube-apiserver"
    assert container["livenessProbe"] == container["startupProbe"] == {"timeoutSeconds": 60, "failureThreshold": 30}
    monkeypatch.setattr(uml, "ensure_disk", lambda _d: None)
    root = tmp_path / "rootfs"
    uml.install_node_files(net.control_plane(), root, tmp_path)
    assert sorted(p.name for p in (root / "etc/kubernetes/dslab-patches").iterdir()) == [
        "etcd0+strategic.yaml", "kube-apiserver0+strategic.yaml", "kube-controller-manager0+strategic.yaml",
        "kube-scheduler0+strategic.yaml"]
    uml.install_node_files(W1, tmp_path / "w1", tmp_path)
    assert not (tmp_path / "w1/etc/kubernetes/dslab-patches").exists()


def test_kernel_key_follows_the_values_and_the_source_edits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "linux-source-6.1.tar.xz"
    src.write_bytes(b"x")
    key = uml.kernel_key(src)
    monkeypatch.setattr(uml, "KERNEL_VALUES", {"KERNEL_STACK_ORDER": "5"})
    stack = uml.kernel_key(src)
    monkeypatch.setattr(uml, "SOURCE_EDITS", uml.SOURCE_EDITS + (("a.c", "x", "y", "why"),))
    edits = uml.kernel_key(src)
    monkeypatch.setattr(uml, "KERNEL_DISABLED", uml.KERNEL_DISABLED + ("SWAP",))
    assert len({key, stack, edits, uml.kernel_key(src)}) == 4


def test_still_enabled_names_what_should_be_off() -> None:
    assert uml.still_enabled("# CONFIG_VMAP_STACK is not set\nCONFIG_HAVE_ARCH_VMAP_STACK=y\n") == []
    assert uml.still_enabled("CONFIG_VMAP_STACK=y\n") == ["VMAP_STACK"]
    assert uml.still_enabled("", ("A",)) == []
    # kernel stacks out of the vmalloc area: its flush unmaps and maps pages again, the running stack's too
    assert "VMAP_STACK" in uml.KERNEL_DISABLED


def test_wrong_values_names_what_the_config_does_not_hold() -> None:
    assert uml.wrong_values("CONFIG_KERNEL_STACK_ORDER=4\n") == []
    assert uml.wrong_values("CONFIG_KERNEL_STACK_ORDER=2\n") == ["KERNEL_STACK_ORDER=4"]
    assert uml.wrong_values("", {"A": "1", "B": "2"}) == ["A=1", "B=2"]


def test_the_fpu_buffer_edit_holds_an_amx_xsave_area_and_the_stack_holds_the_buffer() -> None:
    (path, old, new, _why), = uml.SOURCE_EDITS
    assert path == "arch/x86/um/user-offsets.c" and "2696" in old
    size = int(new.split(",")[1].strip(" );"))
    assert size >= 10944 and size % 8 == 0  # AMX: tile data ends at 2752 + 8192 bytes in the standard format
    assert (4096 << int(uml.KERNEL_VALUES["KERNEL_STACK_ORDER"])) >= 4 * size  # the buffer is a quarter at most


def test_edit_source_replaces_exactly_one_copy(tmp_path: Path) -> None:
    target = tmp_path / "arch" / "x86" / "um" / "user-offsets.c"
    target.parent.mkdir(parents=True)
    target.write_text("#ifdef FP_XSTATE_MAGIC1\n\tDEFINE_LONGS(HOST_FP_SIZE, 2696);\n#else\n")
    uml.edit_source(tmp_path)
    assert "DEFINE_LONGS(HOST_FP_SIZE, 16384);" in target.read_text() and "2696" not in target.read_text()
    with pytest.raises(RuntimeError, match=r"user-offsets.c holds 0 copies of 'DEFINE_LONGS\(HOST_FP_SIZE, 2696\);'"):
        uml.edit_source(tmp_path)


def test_console_failure_quotes_why_a_node_did_not_boot() -> None:
    console = ("Run /lib/systemd/systemd as init process\nuserspace - ptrace set fp regs failed, errno = 14\n"
               "Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\nCPU: 0 PID: 1\n")
    assert uml.console_failure(console) == ("userspace - ptrace set fp regs failed, errno = 14; "
                                            "Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b")
    assert uml.console_failure("Run /lib/systemd/systemd as init process\n") == ""
