"""Nodes: cached Debian rootfs, per-node copies, cgroups and nspawn boot.

A node is ``systemd-nspawn --boot`` of a per-node copy of a cached Debian
bookworm rootfs, inside its own network namespace (see :mod:`dslab.net`).
The host's PID 1 is not systemd, so nspawn runs with ``--register=no
--keep-unit``; the launcher puts each node into its own cgroup in every
hierarchy so that the nodes' ``kubepods`` trees do not collide.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from dslab import net, uml
from dslab.net import Node
from dslab.util import NODE_PATH, CommandError, Log, cache_root, log, run, run_dir, wait_for, write_file

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = (
    # python3-yaml: dualstack.kubernetes.component_flags edits static Pod manifests on the node.
    "openssh-server", "python3", "python3-yaml", "iproute2", "systemd-sysv", "iptables", "conntrack",
    "iputils-ping", "udev", "dbus", "containerd", "runc", "containernetworking-plugins",
    "ethtool", "socat", "ca-certificates", "procps", "kmod", "curl", "less", "ebtables",
    "util-linux", "mount", "netbase",
)
#: Units that must not run in a node: they would touch the host's devices,
#: host-global sysctls, binfmt or filesystems (nspawn nodes see /sys and
#: /proc/sys writable, see lab notes).
MASKED_UNITS = (
    "systemd-udevd.service", "systemd-udev-trigger.service", "systemd-udev-settle.service",
    "systemd-udevd-control.socket", "systemd-udevd-kernel.socket",
    "systemd-sysctl.service", "systemd-modules-load.service", "systemd-binfmt.service",
    "proc-sys-fs-binfmt_misc.automount", "proc-sys-fs-binfmt_misc.mount",
    "sys-kernel-debug.mount", "sys-kernel-tracing.mount", "sys-kernel-config.mount",
    "sys-fs-fuse-connections.mount", "systemd-journald-audit.socket", "systemd-pstore.service",
    "fstrim.timer", "e2scrub_all.timer", "e2scrub_reap.service", "apt-daily.timer",
    "apt-daily-upgrade.timer", "dpkg-db-backup.timer", "man-db.timer",
    "getty@.service", "console-getty.service", "serial-getty@.service",
    "systemd-hwdb-update.service", "systemd-firstboot.service",
)
#: Bump when the base customisation changes (part of the cache key).
BASE_REVISION = "3"

CGROUP_REMOUNT_UNIT = """\
[Unit]
Description=dslab: make the v1 cgroup controllers writable (runc needs them)
DefaultDependencies=no
After=sysinit.target
Before=containerd.service kubelet.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'for d in /sys/fs/cgroup/*; do [ -d "$d" ] && mountpoint -q "$d" && mount -o remount,bind,rw "$d" "$d"; done; true'

[Install]
WantedBy=multi-user.target
"""

SSHD_CONFIG = """\
# dslab: key-only root login for Ansible
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
"""


# --------------------------------------------------------------------------- rootfs


def base_key() -> str:
    """Return the cache key of the base rootfs (suite, packages, revision)."""
    text = "\n".join((SUITE, MIRROR, BASE_REVISION, *sorted(PACKAGES), *MASKED_UNITS))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def base_rootfs_dir() -> Path:
    """Return where the cached base rootfs lives."""
    return cache_root() / "rootfs" / f"{SUITE}-{base_key()}"


def ensure_base_rootfs(log_fn: Log = log) -> Path:
    """Debootstrap and customise the base rootfs once; return its path."""
    final = base_rootfs_dir()
    if (final / ".dslab-base-ok").exists():
        return final
    partial = final.with_name(final.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.parent.mkdir(parents=True, exist_ok=True)
    log_fn(f"debootstrap {SUITE} into {partial} (once; ~2 min)")
    t0 = time.monotonic()
    run(["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES),
         SUITE, str(partial), MIRROR], timeout=1800)
    customise_base(partial)
    (partial / ".dslab-base-ok").write_text(base_key() + "\n")
    partial.rename(final)
    log_fn(f"base rootfs ready in {time.monotonic() - t0:.0f}s: {final}")
    return final


def customise_base(root: Path) -> None:
    """Apply the node-independent customisation to a fresh rootfs."""
    run(["chroot", str(root), "apt-get", "clean"], check=False)
    for key in root.glob("etc/ssh/ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("")
    (root / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    write_file(root / "etc/ssh/sshd_config.d/dslab.conf", SSHD_CONFIG)
    write_file(root / "etc/systemd/system/dslab-cgroup-rw.service", CGROUP_REMOUNT_UNIT)
    run(["systemctl", "--root", str(root), "enable", "dslab-cgroup-rw.service"])
    run(["systemctl", "--root", str(root), "mask", *MASKED_UNITS])
    run(["systemctl", "--root", str(root), "set-default", "multi-user.target"])
    # Do not let containerd start before the lab wrote its config.
    run(["systemctl", "--root", str(root), "disable", "containerd.service"], check=False)
    write_file(root / "etc/modules-load.d/dslab.conf", "")
    # Journald: keep it small.
    write_file(root / "etc/systemd/journald.conf.d/dslab.conf",
               "[Journal]\nStorage=volatile\nRuntimeMaxUse=64M\n")


# --------------------------------------------------------------------------- per node


def node_dir(n: Node) -> Path:
    """Return the node's runtime directory."""
    return run_dir() / "nodes" / n.name


def node_rootfs(n: Node) -> Path:
    """Return the node's rootfs."""
    return node_dir(n) / "rootfs"


def ssh_key() -> Path:
    """Return the lab's private ssh key (public key beside it, ``.pub``)."""
    return run_dir() / "ssh" / "id_ed25519"


def ensure_ssh_key() -> Path:
    """Generate the lab's ed25519 key pair once per lab lifetime."""
    key = ssh_key()
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(key.parent, 0o700)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dslab", "-f", str(key)])
    return key


def hosts_file() -> str:
    """Return /etc/hosts for a node: every node by name, both families."""
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
    for other in net.ALL_NODES:
        lines.append(f"{other.ipv4} {other.name}")
        lines.append(f"{other.ipv6} {other.name}")
    return "\n".join(lines) + "\n"


def ensure_node_rootfs(n: Node, base: Path, log_fn: Log = log) -> Path:
    """Copy the base rootfs for ``n`` and personalise it (idempotent)."""
    root = node_rootfs(n)
    if not (root / ".dslab-node-ok").exists():
        partial = node_dir(n) / "rootfs.partial"
        if partial.exists():
            shutil.rmtree(partial)
        partial.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        run(["cp", "-a", "--reflink=auto", str(base), str(partial)])
        (partial / ".dslab-base-ok").unlink(missing_ok=True)
        (partial / ".dslab-node-ok").write_text(n.name + "\n")
        partial.rename(root)
        log_fn(f"{n.name}: rootfs copied in {time.monotonic() - t0:.1f}s")
    write_file(root / "etc/hostname", n.name + "\n")
    write_file(root / "etc/hosts", hosts_file())
    # Nothing answers DNS on the bridge; a non-loopback resolver keeps
    # CoreDNS's loop detection happy and fails fast (ICMP unreachable).
    resolv = root / "etc/resolv.conf"
    if resolv.is_symlink():
        resolv.unlink()
    write_file(resolv, f"nameserver {net.HOST_V4}\noptions timeout:1 attempts:1\n")
    if not list(root.glob("etc/ssh/ssh_host_*_key")):
        run(["ssh-keygen", "-A", "-f", str(root)])
    pub = ssh_key().with_suffix(".pub").read_text()
    sshdir = root / "root/.ssh"
    sshdir.mkdir(mode=0o700, exist_ok=True)
    write_file(sshdir / "authorized_keys", pub, 0o600)
    return root


# --------------------------------------------------------------------------- cgroups


def parse_cgroup_hierarchies(mountinfo: str, proc_cgroup: str) -> list[tuple[Path, str]]:
    """Return ``(mount point, cgroup path)`` per hierarchy in ``proc_cgroup``.

    ``mountinfo`` is /proc/self/mountinfo, ``proc_cgroup`` /proc/self/cgroup.
    v1 hierarchies are matched by their first controller (or ``name=``),
    the unified one (``0::``) by the cgroup2 mount.
    """
    mounts: dict[str, Path] = {}
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) < 5 or len(rfields) < 3 or rfields[0] not in ("cgroup", "cgroup2"):
            continue
        mnt = Path(fields[4])
        if rfields[0] == "cgroup2":
            mounts.setdefault("0", mnt)
            continue
        for opt in rfields[2].split(","):
            mounts.setdefault(opt, mnt)
    result = []
    for line in proc_cgroup.splitlines():
        hid, ctrls, path = line.split(":", 2)
        key = "0" if hid == "0" else ctrls.split(",")[0]
        if key in mounts:
            result.append((mounts[key], path))
    return result


def cgroup_hierarchies() -> list[tuple[Path, str]]:
    """Return ``(mount point, our path)`` for every hierarchy this process is in."""
    return parse_cgroup_hierarchies(Path("/proc/self/mountinfo").read_text(),
                                    Path("/proc/self/cgroup").read_text())


def cgroup_record(n: Node) -> Path:
    """Return the file recording the node's cgroup directories.

    Kept in the cache's state dir (not the run dir) so that ``down`` from a
    process in other cgroups still finds them.
    """
    return cache_root() / "state" / f"cgroups-{n.name}.json"


def node_cgroups(n: Node) -> list[Path]:
    """Return the node's cgroup directories: recorded ones plus this process's view."""
    dirs = [mnt / path.lstrip("/") / n.name for mnt, path in cgroup_hierarchies()]
    try:
        recorded = [Path(p) for p in json.loads(cgroup_record(n).read_text())]
    except (OSError, ValueError):
        recorded = []
    return list(dict.fromkeys(recorded + dirs))


def ensure_node_cgroups(n: Node) -> list[Path]:
    """Create the node's cgroups (cpuset gets its parent's cpus and mems) and record them."""
    dirs = [mnt / path.lstrip("/") / n.name for mnt, path in cgroup_hierarchies()]
    for d in dirs:
        d.mkdir(exist_ok=True)
        for knob in ("cpuset.cpus", "cpuset.mems"):
            if (d / knob).exists() and not (d / knob).read_text().strip():
                (d / knob).write_text((d.parent / knob).read_text())
    known = node_cgroups(n)
    write_file(cgroup_record(n), json.dumps([str(d) for d in known], indent=0))
    return dirs


def remove_cgroup_tree(d: Path) -> None:
    """Remove a cgroup directory and its children, deepest first."""
    if not d.exists():
        return
    for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        try:
            sub.rmdir()
        except OSError:
            pass
    try:
        d.rmdir()
    except OSError:
        pass


def cgroup_pids(d: Path) -> list[int]:
    """Return every PID in a cgroup subtree."""
    pids: set[int] = set()
    if not d.exists():
        return []
    for procs in [d / "cgroup.procs", *d.rglob("cgroup.procs")]:
        try:
            pids.update(int(x) for x in procs.read_text().split())
        except OSError:
            pass
    return sorted(pids)


# --------------------------------------------------------------------------- boot


def nspawn_argv(n: Node) -> list[str]:
    """Return the systemd-nspawn command line for a node (see lab notes)."""
    return [
        "systemd-nspawn", "-D", str(node_rootfs(n)), f"--machine={n.name}", "--boot",
        "--register=no", "--keep-unit", f"--network-namespace-path=/run/netns/{n.netns}",
        "--console=read-only", "--capability=all", "--private-users=no",
        "--system-call-filter=@keyring", "--bind=/dev/kmsg", "--resolv-conf=off",
        "--timezone=off", "--link-journal=no",
    ]


def pid_file(n: Node) -> Path:
    """Return the file holding the node's nspawn PID."""
    return node_dir(n) / "nspawn.pid"


def launcher_pid(n: Node) -> int | None:
    """Return the PID of the node's running nspawn (or User-Mode Linux kernel), or None."""
    try:
        pid = int(pid_file(n).read_text())
    except (OSError, ValueError):
        return None
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if argv and argv[0].endswith(b"systemd-nspawn") and f"--machine={n.name}".encode() in argv:
        return pid
    return pid if uml.is_boot_argv(argv, n) else None


def leader_pid(n: Node) -> int | None:
    """Return the PID of the node's init (the nspawn child), or None."""
    pid = launcher_pid(n)
    if pid is None:
        return None
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def _join_cgroups(dirs: list[Path]) -> None:
    """preexec hook: move the forked launcher into the node's cgroups."""
    for d in dirs:
        (d / "cgroup.procs").write_text("0")


def boot_node(n: Node, log_fn: Log = log) -> int:
    """Start the node's nspawn (or User-Mode Linux kernel) if it is not running; return its PID."""
    pid = launcher_pid(n)
    if pid is not None:
        return pid
    dirs = ensure_node_cgroups(n)
    logf = open(node_dir(n) / "console.log", "ab")
    if uml.active():
        # The kernel's memory is a file it makes in TMPDIR: tmpfs, not the disk.
        argv = uml.boot_argv(n, uml.ensure_kernel(log_fn), node_rootfs(n), node_dir(n))
        env = dict(os.environ, TMPDIR="/dev/shm")
    else:
        argv, env = nspawn_argv(n), dict(os.environ, SYSTEMD_NSPAWN_API_VFS_WRITABLE="1")
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
        env=env, start_new_session=True, preexec_fn=lambda: _join_cgroups(dirs),
        close_fds=True,
    )
    logf.close()
    pid_file(n).write_text(f"{proc.pid}\n")
    log_fn(f"{n.name}: {'linux.uml' if uml.active() else 'nspawn'} pid {proc.pid}")
    return proc.pid


def node_exec_argv(n: Node, argv: list[str]) -> list[str]:
    """Return an nsenter (User-Mode Linux: ssh) command line that runs ``argv`` inside the node."""
    if uml.active():
        return uml.exec_argv(node_ssh_argv(n, []), NODE_PATH, argv)
    leader = leader_pid(n)
    if leader is None:
        raise RuntimeError(f"{n.name} is not running")
    return ["nsenter", "-t", str(leader), "-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w",
            "env", "-i", f"PATH={NODE_PATH}", "HOME=/root", "LANG=C.UTF-8", *argv]


def node_run(n: Node, argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside the node (see :func:`dslab.util.run` for keywords)."""
    return run(node_exec_argv(n, argv), **kw)  # type: ignore[arg-type]


def system_state(n: Node) -> str:
    """Return ``systemctl is-system-running`` inside the node ('' if down or not answering yet)."""
    if (leader_pid(n) if not uml.active() else launcher_pid(n)) is None:
        return ""
    try:
        proc = node_run(n, ["systemctl", "is-system-running"], check=False, timeout=20)
    except subprocess.TimeoutExpired:
        return ""
    return proc.stdout.strip()


def wait_booted(n: Node, timeout: float | None = None) -> float:
    """Wait until the node's systemd finished booting; return seconds waited (default: 60 s, 240 s for UML).

    A UML node that does not boot says why on its console (a kernel panic): that line joins the error.
    """
    try:
        return wait_for(f"{n.name} boot", lambda: system_state(n) in ("running", "degraded"),
                        timeout or (240 if uml.active() else 60))
    except TimeoutError as err:
        console = node_dir(n) / "console.log"
        why = uml.console_failure(console.read_text(errors="replace")) if uml.active() and console.exists() else ""
        if why:
            raise TimeoutError(f"{err}; its console ({console}) says: {why}") from None
        raise


def failed_units(n: Node) -> list[str]:
    """Return the node's failed systemd units."""
    out = node_run(n, ["systemctl", "list-units", "--failed", "--plain", "--no-legend"],
                   check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def halt_node(n: Node, timeout: float = 20, log_fn: Log = log) -> None:
    """Power the node off; SIGKILL everything in its cgroups after ``timeout``."""
    pid = launcher_pid(n)
    if pid is not None and uml.active():
        try:
            node_run(n, ["systemctl", "poweroff", "--no-block"], check=False, timeout=15)
        except subprocess.TimeoutExpired:
            pass
        try:
            wait_for(f"{n.name} poweroff", lambda: launcher_pid(n) is None, max(timeout, 60), 0.5)
        except TimeoutError:
            log_fn(f"{n.name}: no clean poweroff, SIGKILL")
    elif pid is not None:
        # SIGRTMIN+4 to the container's init = poweroff (systemd).
        leader = leader_pid(n)
        if leader is not None:
            try:
                os.kill(leader, signal.SIGRTMIN + 4)
            except ProcessLookupError:
                pass
        try:
            wait_for(f"{n.name} poweroff", lambda: launcher_pid(n) is None, timeout, 0.2)
        except TimeoutError:
            log_fn(f"{n.name}: no clean poweroff in {timeout:.0f}s, SIGKILL")
    kill_node_processes(n)
    pid_file(n).unlink(missing_ok=True)


def kill_node_processes(n: Node, timeout: float = 10) -> None:
    """SIGKILL every process left in the node's cgroups and wait for them."""
    dirs = [d for d in node_cgroups(n) if d.exists()]
    deadline = time.monotonic() + timeout
    while True:
        pids = sorted({p for d in dirs for p in cgroup_pids(d)})
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{n.name}: processes survive SIGKILL: {pids}")
        time.sleep(0.2)


def node_mounts(n: Node) -> list[str]:
    """Return host mount points under the node's runtime directory."""
    prefix = str(node_dir(n)) + "/"
    result = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mnt = line.split()[4].replace("\\040", " ")
        if mnt.startswith(prefix):
            result.append(mnt)
    return result


def remove_node(n: Node, log_fn: Log = log) -> None:
    """Unmount leftovers, remove the node's cgroups and runtime directory."""
    for mnt in sorted(node_mounts(n), key=len, reverse=True):
        run(["umount", "-l", mnt], check=False)
    for d in node_cgroups(n):
        remove_cgroup_tree(d)
    if not any(d.exists() for d in node_cgroups(n)):
        cgroup_record(n).unlink(missing_ok=True)
    if node_dir(n).exists():
        shutil.rmtree(node_dir(n))
        log_fn(f"{n.name}: removed {node_dir(n)}")


def node_ssh_argv(n: Node, argv: list[str]) -> list[str]:
    """Return the ssh command line to run ``argv`` on a node as root."""
    return ["ssh", "-i", str(ssh_key()), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "ConnectTimeout=5", f"root@{n.ipv4}", *argv]


def ssh_ok(n: Node) -> bool:
    """Tell whether the node answers ssh with the lab key."""
    try:
        return run(node_ssh_argv(n, ["true"]), check=False, timeout=15).returncode == 0
    except subprocess.TimeoutExpired:
        return False


__all__ = [
    "CommandError", "ensure_base_rootfs", "ensure_node_rootfs", "boot_node", "halt_node",
    "node_run", "wait_booted", "remove_node",
]
