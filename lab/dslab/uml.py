"""User-Mode Linux nodes: a node kernel of the lab's own, for what the host's kernel lacks.

An nspawn node shares the host's kernel and cannot load modules; this host's kernel is built without
``CONFIG_IP_VS``, so kube-proxy's IPVS mode cannot run in an nspawn lab. ``DUALSTACK_LAB_KERNEL=uml`` boots every
node instead as a User-Mode Linux kernel, a Linux kernel running as host processes (no KVM needed), which the lab
builds once from Debian's kernel source (package ``linux-source-6.1``) with everything a node needs built in
(:data:`KERNEL_OPTIONS`: IPVS, nf_tables and xtables for both families, bridge, veth, overlayfs, cgroups, ...).
Debian's own ``user-mode-linux`` kernel does not do: it has no nf_tables for ip/ip6/inet
(``# CONFIG_NF_TABLES_IPV4 is not set``), so iptables-nft, Debian's default and the kube-proxy image's, fails
there ("TABLE_ADD failed (Operation not supported): table nat").

* the root filesystem is the same per-node rootfs copy (``hostfs``);
* the kernel runs inside the node's network namespace and sends and receives its frames on that namespace's
  ``eth0`` (vector driver, raw transport); the namespace's side holds no address, the node's kernel holds the
  node's addresses on its own ``eth0`` (:func:`dslab.net.link_commands`, run at boot by a unit);
* containerd's and the kubelet's state are on an ext4 disk of the node's own (``ubd``, :data:`DISK_DIRS`);
* /proc/cpuinfo gets the CPU clock line the kubelet's cadvisor needs (:func:`cpuinfo_unit`);
* systemd inside sees its own kernel: cgroup v2 and sysctls of its own; one CPU (UML is uniprocessor).
Commands reach such a node over ssh (no nsenter into another kernel).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import time
from pathlib import Path

from dslab import build, net
from dslab.net import Node
from dslab.util import Log, log, run, run_dir, write_file

KERNEL_ENV = "DUALSTACK_LAB_KERNEL"
#: ``host``: systemd-nspawn on the host's kernel (default); ``uml``: User-Mode Linux, a kernel per node.
KERNELS = ("host", "uml")
#: Debian's kernel source tarball (package ``linux-source-6.1``).
SOURCE_TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")
SOURCE_PACKAGE = "linux-source-6.1"
#: Built in (``=y``) on top of ``make ARCH=um defconfig``; every one is checked after ``olddefconfig``.
KERNEL_OPTIONS = (
    # containers: cgroups (v2), namespaces, seccomp, BPF
    "CGROUPS", "MEMCG", "CGROUP_PIDS", "CGROUP_SCHED", "FAIR_GROUP_SCHED", "CFS_BANDWIDTH", "CGROUP_FREEZER",
    "CGROUP_DEVICE", "CGROUP_CPUACCT", "BLK_CGROUP", "CGROUP_BPF", "CGROUP_NET_CLASSID", "NAMESPACES", "UTS_NS",
    "IPC_NS", "USER_NS", "PID_NS", "NET_NS", "SECCOMP", "SECCOMP_FILTER", "BPF_SYSCALL", "KEYS", "POSIX_MQUEUE",
    # filesystems and devices: overlayfs on the node's ext4 disk (ubd), hostfs root
    "OVERLAY_FS", "EXT4_FS", "TMPFS", "TMPFS_XATTR", "TMPFS_POSIX_ACL", "HOSTFS", "DEVTMPFS", "DEVTMPFS_MOUNT",
    "FHANDLE", "AUTOFS_FS", "INOTIFY_USER", "BLK_DEV_UBD", "BLK_DEV_LOOP", "IKCONFIG", "IKCONFIG_PROC",
    # network: the vector driver (raw transport), both families, bridge and veth for the CNI, VXLAN
    "UML_NET", "UML_NET_VECTOR", "NET", "INET", "IPV6", "UNIX", "PACKET", "IP_ADVANCED_ROUTER",
    "IP_MULTIPLE_TABLES", "IPV6_MULTIPLE_TABLES", "BRIDGE", "BRIDGE_NETFILTER", "VETH", "VXLAN", "DUMMY", "TUN",
    "NET_SCHED", "NET_SCH_INGRESS", "NET_CLS_BPF", "NET_CLS_ACT", "NET_CLS_CGROUP", "INET_DIAG", "UNIX_DIAG",
    "NETLINK_DIAG", "PACKET_DIAG",
    # netfilter: conntrack, NAT, xtables (iptables-legacy and -nft), nf_tables for ip, ip6, inet
    "NETFILTER", "NETFILTER_ADVANCED", "NETFILTER_NETLINK", "NF_CONNTRACK", "NF_CONNTRACK_MARK",
    "NF_CONNTRACK_LABELS", "NF_CONNTRACK_PROCFS", "NF_CT_NETLINK", "NF_NAT", "NF_NAT_MASQUERADE",
    "NETFILTER_XTABLES", "NETFILTER_XT_MARK", "NETFILTER_XT_CONNMARK", "NETFILTER_XT_NAT",
    "NETFILTER_XT_MATCH_ADDRTYPE", "NETFILTER_XT_MATCH_COMMENT", "NETFILTER_XT_MATCH_CONNTRACK",
    "NETFILTER_XT_MATCH_MARK", "NETFILTER_XT_MATCH_MULTIPORT", "NETFILTER_XT_MATCH_STATISTIC",
    "NETFILTER_XT_MATCH_PHYSDEV", "NETFILTER_XT_MATCH_IPVS", "NETFILTER_XT_MATCH_RECENT",
    "NETFILTER_XT_MATCH_LIMIT", "NETFILTER_XT_MATCH_STATE", "NETFILTER_XT_MATCH_IPRANGE",
    "NETFILTER_XT_MATCH_PKTTYPE", "NETFILTER_XT_MATCH_OWNER", "NETFILTER_XT_MATCH_SOCKET",
    "NETFILTER_XT_MATCH_TCPMSS", "NETFILTER_XT_MATCH_HL", "NETFILTER_XT_MATCH_BPF", "NETFILTER_XT_SET",
    "NETFILTER_XT_TARGET_MASQUERADE", "NETFILTER_XT_TARGET_REDIRECT", "NETFILTER_XT_TARGET_NETMAP",
    "NETFILTER_XT_TARGET_CT", "NETFILTER_XT_TARGET_LOG", "NETFILTER_XT_TARGET_CHECKSUM",
    "NETFILTER_XT_TARGET_TCPMSS", "NETFILTER_XT_TARGET_MARK", "NETFILTER_XT_TARGET_CONNMARK",
    "NF_TABLES", "NF_TABLES_INET", "NF_TABLES_IPV4", "NF_TABLES_IPV6", "NF_TABLES_NETDEV", "NFT_CT", "NFT_NAT",
    "NFT_MASQ", "NFT_REDIR", "NFT_REJECT", "NFT_COMPAT", "NFT_HASH", "NFT_NUMGEN", "NFT_LIMIT", "NFT_FIB_INET",
    "NFT_FIB_IPV4", "NFT_FIB_IPV6", "NFT_LOG", "NFT_QUOTA", "NFT_OBJREF", "NF_DEFRAG_IPV4", "NF_DEFRAG_IPV6",
    "IP_NF_IPTABLES", "IP_NF_FILTER", "IP_NF_NAT", "IP_NF_TARGET_MASQUERADE", "IP_NF_MANGLE", "IP_NF_RAW",
    "IP_NF_TARGET_REJECT", "IP_NF_MATCH_RPFILTER", "IP6_NF_IPTABLES", "IP6_NF_FILTER", "IP6_NF_NAT",
    "IP6_NF_TARGET_MASQUERADE", "IP6_NF_MANGLE", "IP6_NF_RAW", "IP6_NF_TARGET_REJECT", "IP6_NF_MATCH_RPFILTER",
    "NF_REJECT_IPV4", "NF_REJECT_IPV6",
    # kube-proxy's IPVS mode: IPVS for both families with its schedulers, ipset
    "IP_SET", "IP_SET_HASH_IP", "IP_SET_HASH_IPPORT", "IP_SET_HASH_IPPORTIP", "IP_SET_HASH_IPPORTNET",
    "IP_SET_HASH_NET", "IP_SET_HASH_NETPORT", "IP_SET_HASH_NETIFACE", "IP_SET_BITMAP_PORT", "IP_SET_LIST_SET",
    "IP_VS", "IP_VS_IPV6", "IP_VS_PROTO_TCP", "IP_VS_PROTO_UDP", "IP_VS_PROTO_SCTP", "IP_VS_RR", "IP_VS_WRR",
    "IP_VS_LC", "IP_VS_WLC", "IP_VS_SH", "IP_VS_MH", "IP_VS_NFCT",
)
#: Set to a value on top of the defconfig (checked after ``olddefconfig``): kernel stacks of 64 KiB, since each
#: thread's stack also holds its FPU buffer (``thread_info.aux_fp_regs``), which :data:`SOURCE_EDITS` makes 16 KiB.
KERNEL_VALUES = {"KERNEL_STACK_ORDER": "4"}
#: Turned off on top of the defconfig (checked after ``olddefconfig``). ``VMAP_STACK``: 6.1's UML puts kernel
#: stacks in the vmalloc area, and its kernel TLB flush of that area (``flush_tlb_kernel_range_common``,
#: arch/um/kernel/tlb.c) unmaps a page and maps it again in two host calls. When that page is the running thread's
#: own stack, a signal between the two (the timer, I/O) faults on it inside the signal entry (``to_irq_stack``)
#: and the kernel spins: the control plane's node took ~22 000 SIGSEGVs a second at one stack address, its network
#: and mconsole silent, from a workqueue's ``vfree`` of a BPF program (runc's device filters) during the IPVS
#: conversion (2026-12-06, gdb backtrace in lab/README.md). Stacks from ordinary pages are never in that range.
KERNEL_DISABLED = ("VMAP_STACK",)
#: Edits to the kernel source before the build: (file, text, replacement, why). The FPU buffer of a UML process
#: (``HOST_FP_SIZE``) is 2696 bytes in 6.1, the XSAVE size of an AVX-512 CPU. Its ptrace ``PTRACE_SETREGSET
#: NT_X86_XSTATE`` must hand the host the whole XSAVE area of the host's CPU, and on a CPU with AMX that area is
#: bigger (10 688 bytes compacted on this host, "x86/fpu: ... context size is 10688 bytes"). The host refused it
#: with EFAULT: "userspace - ptrace set fp regs failed, errno = 14", and then "Kernel panic - not syncing:
#: Attempted to kill init! exitcode=0x0000000b" as systemd started (2026-12-06). With a 16 KiB buffer, the host
#: trims the request to its own XSAVE size.
SOURCE_EDITS = (
    ("arch/x86/um/user-offsets.c", "DEFINE_LONGS(HOST_FP_SIZE, 2696);", "DEFINE_LONGS(HOST_FP_SIZE, 16384);",
     "a UML process's FPU buffer holds the host CPU's whole XSAVE area (AMX: about 11 KiB)"),
)
#: Bump when the build changes (part of the kernel's cache key).
KERNEL_REVISION = "3"
#: The node kernel's memory by role (backed by a file the kernel makes in /dev/shm).
MEMORY = {"control-plane": "3G", "worker": "2G"}
#: The node's disk (sparse ext4): containerd's images and layers, the kubelet's root directory.
DISK_SIZE = "20G"
DISK_MOUNT = "/var/lib/dslab-disk"
#: Bound from the disk: overlayfs cannot use hostfs as its upper layer ("failed to create directory .../work
#: (errno: 22); mounting read-only") and the kubelet's cadvisor finds no filesystem for hostfs ("Failed to start
#: ContainerManager: failed to get rootfs info: cannot find filesystem info for device \"root\""), and inotify
#: does not report a file made on hostfs, which containerd's CNI config syncer waits for (the node stayed NotReady,
#: "cni plugin not initialized", with its conflist written, until containerd restarted).
DISK_DIRS = ("/var/lib/containerd", "/var/lib/kubelet", "/etc/cni/net.d")
#: What kubeadm's preflight checks and the nspawn lab sets in a node's netns (ip_forward).
SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
}
#: Masked in the base rootfs for nspawn nodes (it would change the host's kernel); a node's own kernel wants it.
UNMASKED_UNITS = ("systemd-sysctl.service",)
#: Host tools a User-Mode Linux lab uses besides the nspawn lab's, and their Debian packages.
HOST_TOOLS = (("mkfs.ext4", "e2fsprogs"), ("ethtool", "ethtool"), ("bc", "bc"), ("flex", "flex"), ("bison", "bison"))
NET_UNIT = "dslab-uml-net.service"
DISK_UNIT = "dslab-uml-disk.service"
CPUINFO_UNIT = "dslab-uml-cpuinfo.service"
CPUINFO_COPY = "/run/dslab-cpuinfo"
DISK_DEVICE = "/dev/ubda"


#: kubeadm's patches directory on a User-Mode Linux control plane (``patches.directory`` of its configurations).
PATCHES_DIR = "/etc/kubernetes/dslab-patches"
#: The static Pods kubeadm makes on a control plane.
CONTROL_PLANE_PODS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
#: A control plane on one UML CPU answers its probes late when busy (kube-apiserver, then the others, were restarted
#: by their liveness probes while the conversion's preflight ran): probes wait 60 s and tolerate 30 failures.
PROBE_PATIENCE = {"timeoutSeconds": 60, "failureThreshold": 30}
#: Leader election of kube-controller-manager and kube-scheduler with the same patience (they exit when a lease
#: renewal misses its deadline, 10 s by default).
LEADER_ELECTION_ARGS = {"leader-elect-lease-duration": "120s", "leader-elect-renew-deadline": "90s",
                        "leader-elect-retry-period": "10s"}


def probe_patch(component: str) -> str:
    """kubeadm's strategic-merge patch of ``component``'s static Pod: :data:`PROBE_PATIENCE` on its probes."""
    fields = "".join(f"      {k}: {v}\n" for k, v in PROBE_PATIENCE.items())
    probes = "".join(f"    {probe}:\n{fields}" for probe in ("livenessProbe", "startupProbe"))
    return f"spec:\n  containers:\n  - name: {component}\n{probes}"


def selected() -> str:
    """The lab's node kernel: the running lab's record (``<run>/kernel``), else ``DUALSTACK_LAB_KERNEL``."""
    record = run_dir() / "kernel"
    value = record.read_text().strip() if record.exists() else os.environ.get(KERNEL_ENV, "host") or "host"
    if value not in KERNELS:
        raise SystemExit(f"{KERNEL_ENV}={value!r}: expected one of {', '.join(KERNELS)}")
    return value


def active() -> bool:
    """Tell whether the lab's nodes run User-Mode Linux kernels."""
    return selected() == "uml"


def kernel_key(source: Path = SOURCE_TARBALL) -> str:
    """The kernel's cache key: the source tarball (name, size), the options, the revision."""
    size = source.stat().st_size if source.exists() else 0
    text = "\n".join((source.name, str(size), KERNEL_REVISION, *KERNEL_OPTIONS,
                      *("%s=%s" % kv for kv in sorted(KERNEL_VALUES.items())),
                      *("%s=n" % o for o in KERNEL_DISABLED), *(e[2] for e in SOURCE_EDITS)))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def kernel_path() -> Path:
    """Where the built kernel lives (outside the repository, in the lab's cache)."""
    return build.cache_root() / "uml" / kernel_key() / "linux.uml"


def all_built_in(config: str) -> str:
    """A kernel ``.config`` with every module (``=m``) built in: a node loads no modules."""
    return "".join(line[:-3] + "=y\n" if line.endswith("=m\n") else line for line in config.splitlines(True))


def missing_options(config: str, options: tuple[str, ...] = KERNEL_OPTIONS) -> list[str]:
    """The options not built in (``CONFIG_X=y``) in ``config`` (dependencies ``olddefconfig`` could not meet)."""
    have = {line.split("=", 1)[0] for line in config.splitlines() if line.endswith("=y")}
    return [o for o in options if f"CONFIG_{o}" not in have]


def wrong_values(config: str, values: dict[str, str] | None = None) -> list[str]:
    """The :data:`KERNEL_VALUES` ``config`` does not hold, as ``NAME=value`` (what it should be)."""
    have = set(config.splitlines())
    return [f"{k}={v}" for k, v in sorted((values or KERNEL_VALUES).items()) if f"CONFIG_{k}={v}" not in have]


def still_enabled(config: str, disabled: tuple[str, ...] = KERNEL_DISABLED) -> list[str]:
    """The :data:`KERNEL_DISABLED` options ``config`` still enables (``CONFIG_X=y``)."""
    have = set(config.splitlines())
    return [o for o in disabled if f"CONFIG_{o}=y" in have]


def edited(text: str, old: str, new: str, path: str) -> str:
    """``text`` with its one ``old`` replaced by ``new``; raise naming ``path`` when ``old`` is not there once."""
    if text.count(old) != 1:
        raise RuntimeError(f"User-Mode Linux kernel source: {path} holds {text.count(old)} copies of {old!r}, "
                           "expected one (another linux-source-6.1 release?)")
    return text.replace(old, new)


def edit_source(tree: Path, edits: tuple[tuple[str, str, str, str], ...] = SOURCE_EDITS) -> None:
    """Apply :data:`SOURCE_EDITS` to the unpacked kernel source ``tree``."""
    for path, old, new, _why in edits:
        target = tree / path
        target.write_text(edited(target.read_text(), old, new, path))


def ensure_kernel(log_fn: Log = log) -> Path:
    """Build the User-Mode Linux kernel once (cached by :func:`kernel_key`); return its path."""
    final = kernel_path()
    if final.exists():
        return final
    if not SOURCE_TARBALL.exists():
        raise SystemExit(f"{KERNEL_ENV}=uml builds its kernel from {SOURCE_TARBALL}: "
                         f"apt-get install -y {SOURCE_PACKAGE} bc bison flex")
    root = build.cache_root()
    with build.build_lock(root, log_fn):
        if final.exists():
            return final
        work = root / "uml" / "work"
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        t0 = time.monotonic()
        log_fn(f"building the User-Mode Linux kernel from {SOURCE_TARBALL} (once; about 6 min on 2 CPUs)")
        run(["tar", "xf", str(SOURCE_TARBALL), "-C", str(work)], timeout=900)
        tree = next(p for p in work.iterdir() if p.is_dir())
        edit_source(tree)
        make = ["make", "-C", str(tree), "ARCH=um"]
        run([*make, "defconfig"], timeout=600)
        config = tree / ".config"
        run([str(tree / "scripts/config"), "--file", str(config),
             *(arg for o in KERNEL_OPTIONS for arg in ("--enable", o)),
             *(arg for k, v in KERNEL_VALUES.items() for arg in ("--set-val", k, v)),
             *(arg for o in KERNEL_DISABLED for arg in ("--disable", o))])
        for _ in range(2):  # options made visible by the first pass may bring modules of their own
            run([*make, "olddefconfig"], timeout=600)
            config.write_text(all_built_in(config.read_text()))
        run([*make, "olddefconfig"], timeout=600)
        text = config.read_text()
        missing = missing_options(text) + wrong_values(text) + [f"{o} off" for o in still_enabled(text)]
        if missing:
            raise RuntimeError(f"the User-Mode Linux kernel config lacks {', '.join(missing)} "
                               f"(see {config})")
        with open(work / "build.log", "w") as out:
            proc = run([*make, f"-j{(os.cpu_count() or 1) + 1}", "linux"], check=False, timeout=7200)
            out.write(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(f"building the User-Mode Linux kernel failed; see {work / 'build.log'}")
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(final.name + ".partial")
        shutil.copy2(tree / "linux", partial)
        shutil.copy2(config, final.with_name("config"))
        os.replace(partial, final)
        shutil.rmtree(work)
        log_fn(f"User-Mode Linux kernel built in {time.monotonic() - t0:.0f}s: {final}")
    return final


#: Lines of a UML console that tell why a node never booted.
CONSOLE_FAILURES = ("Kernel panic", "failed, errno", "Attempted to kill init", "No init found", "Out of memory")


def console_failure(console: str, limit: int = 3) -> str:
    """The first lines of a UML node's console that tell why it did not boot ('' when none does)."""
    lines = [line.strip() for line in console.splitlines() if any(f in line for f in CONSOLE_FAILURES)]
    return "; ".join(lines[:limit])


def disk_path(node_dir: Path) -> Path:
    """The node's containerd disk image."""
    return node_dir / "containerd.ext4"


def boot_argv(n: Node, kernel: Path, rootfs: Path, node_dir: Path) -> list[str]:
    """The command that boots ``n``'s ``kernel`` inside its network namespace (systemd as init)."""
    return [
        "ip", "netns", "exec", n.netns, str(kernel), f"umid={n.name}", f"uml_dir={node_dir}",
        f"mem={MEMORY.get(n.role, MEMORY['worker'])}", "root=/dev/root", "rootfstype=hostfs",
        f"hostfs={rootfs}", "rw", "init=/lib/systemd/systemd",
        "vec0:transport=raw,ifname=eth0,depth=128", f"ubd0={disk_path(node_dir)}",
        "con0=null,fd:1", "con=null",
    ]


def is_boot_argv(argv: list[bytes], n: Node) -> bool:
    """Tell whether a process's argv (``/proc/PID/cmdline`` split) is ``n``'s kernel."""
    return bool(argv) and argv[0].endswith(b"/linux.uml") and f"umid={n.name}".encode() in argv


def exec_argv(ssh_argv: list[str], path: str, argv: list[str]) -> list[str]:
    """``argv`` run on a node over ssh (``ssh_argv`` ends with the destination), with the lab's clean env."""
    remote = ["env", "-i", f"PATH={path}", "HOME=/root", "LANG=C.UTF-8", *argv]
    return [*ssh_argv, " ".join(shlex.quote(a) for a in remote)]


def unit(description: str, exec_lines: list[str], before: str, after: str = "") -> str:
    """A oneshot unit that runs ``exec_lines`` early at boot."""
    lines = ["[Unit]", f"Description={description}", "DefaultDependencies=no", f"Before={before}"]
    if after:
        lines += [f"After={after}", f"Requires={after}"]
    lines += ["", "[Service]", "Type=oneshot", "RemainAfterExit=yes"]
    lines += [f"ExecStart={line}" for line in exec_lines]
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)


def net_unit(n: Node, shaped: bool = False) -> str:
    """The unit that names the kernel's vector link ``eth0`` and gives it the node's addresses and routes.

    ``-``: a failure is ignored where a restart of the unit finds the work done (eth0 named, eth1 made).
    """
    cmds = [["-ip", "link", "set", "vec0", "name", "eth0"], ["ip", "link", "set", "lo", "up"]]
    if shaped and n.name == net.SHAPED_NODE:
        cmds.append(["-ip", *net.SECOND_LINK_ADD[1:]])
    cmds += net.link_commands(n, shaped)
    return unit(f"dslab: address {n.name}'s links", [" ".join(c) for c in cmds],
                before="network-pre.target ssh.service")


def disk_unit() -> str:
    """The unit that mounts the node's disk and binds :data:`DISK_DIRS` from it before containerd and the kubelet.

    A unit, not fstab: without udev, systemd would wait for the device unit forever.
    """
    subdirs = [f"{DISK_MOUNT}/{Path(d).name}" for d in DISK_DIRS]
    lines = [f"mount -t ext4 {DISK_DEVICE} {DISK_MOUNT}", "mkdir -p " + " ".join(subdirs)]
    lines += [f"mount --bind {src} {dst}" for src, dst in zip(subdirs, DISK_DIRS)]
    return unit("dslab: the node's disk", lines, before="containerd.service kubelet.service", after="local-fs.target")


def host_clock_mhz(cpuinfo: str) -> str:
    """The first ``cpu MHz`` of the host's /proc/cpuinfo (``1000.000`` when it has none)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "cpu MHz" and value.strip():
            return value.strip()
    return "1000.000"


def cpuinfo_unit(mhz: str) -> str:
    """The unit that gives the node's /proc/cpuinfo the ``cpu MHz`` line User-Mode Linux leaves out.

    The kubelet's cadvisor reads the CPU clock from cpufreq or /proc/cpuinfo and refuses to start without it
    ("could not detect clock speed from output", github.com/google/cadvisor machine.GetClockSpeed); the node's
    own cpuinfo plus the host's clock is bound over /proc/cpuinfo in the node (not in its pods).
    """
    copy = f"cat /proc/cpuinfo > {CPUINFO_COPY} && printf 'cpu MHz\\t\\t: {mhz}\\n' >> {CPUINFO_COPY}"
    return unit("dslab: the CPU clock in /proc/cpuinfo (cadvisor)",
                [f"sh -c \"{copy}\"", f"mount --bind {CPUINFO_COPY} /proc/cpuinfo"],
                before="containerd.service kubelet.service")


def ensure_disk(node_dir: Path) -> Path:
    """Create the node's sparse ext4 disk once."""
    disk = disk_path(node_dir)
    if not disk.exists():
        partial = disk.with_name(disk.name + ".partial")
        run(["truncate", "-s", DISK_SIZE, str(partial)])
        run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1", str(partial)])
        os.replace(partial, disk)
    return disk


def install_node_files(n: Node, root: Path, node_dir: Path, shaped: bool = False) -> None:
    """Make ``root`` bootable as ``n``'s User-Mode Linux node (idempotent)."""
    for name in UNMASKED_UNITS:
        link = root / "etc/systemd/system" / name
        if link.is_symlink() and os.readlink(link) == "/dev/null":
            link.unlink()
    write_file(root / "etc/sysctl.d/90-dslab.conf", "".join(f"{k} = {v}\n" for k, v in SYSCTLS.items()))
    for d in (DISK_MOUNT, *DISK_DIRS):
        (root / d.lstrip("/")).mkdir(parents=True, exist_ok=True)
    if n.role == "control-plane":
        for component in CONTROL_PLANE_PODS:
            write_file(root / PATCHES_DIR.lstrip("/") / f"{component}0+strategic.yaml", probe_patch(component))
    units = {NET_UNIT: net_unit(n, shaped), DISK_UNIT: disk_unit(),
             CPUINFO_UNIT: cpuinfo_unit(host_clock_mhz(Path("/proc/cpuinfo").read_text()))}
    for name, text in units.items():
        write_file(root / "etc/systemd/system" / name, text)
        wants = root / "etc/systemd/system/multi-user.target.wants" / name
        if not wants.is_symlink():
            wants.parent.mkdir(parents=True, exist_ok=True)
            wants.symlink_to(f"/etc/systemd/system/{name}")
    ensure_disk(node_dir)
