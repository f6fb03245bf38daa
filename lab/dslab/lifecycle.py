"""``up``, ``down``, ``status``, ``leftovers`` and the inventory.

``up`` is restartable: every step checks whether it is already done.
``down`` removes everything the lab created on the host (processes, mounts,
namespaces, links, cgroups, the runtime directory), restores host-global
sysctls the nodes changed, then fails if :func:`leftovers` finds anything.
The cache (base rootfs, binaries, images) is kept.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from dslab import calico, cluster, csi, flannel, handmade, lb, net, nodes, podnet, uml
from dslab.net import Node
from dslab.util import (CommandError, Log, cache_root, default_version, ensure_binaries,
                        ensure_images, image_refs, log, run, run_dir, wait_for, write_file)

#: /proc/sys entries that change on their own (counters, random state).
VOLATILE_SYSCTLS = (
    "kernel/random/", "fs/dentry-state", "fs/file-nr", "fs/inode-nr", "fs/inode-state",
    "kernel/ns_last_pid", "kernel/pty/nr", "fs/aio-nr", "fs/quota/", "kernel/tainted",
    "net/netfilter/nf_conntrack_count", "kernel/sched_domain/", "vm/stat_refresh",
    "fs/binfmt_misc/", "net/ipv6/route/", "net/ipv4/route/", "kernel/kexec_load_limit",
    "fs/pipe-user-pages", "fs/mount-max",
)
TOOLS = ("systemd-nspawn", "debootstrap", "ip", "nsenter", "ssh", "ssh-keygen")

#: Real CNIs the lab deploys from their published manifests (DUALSTACK_LAB_CNI).
REAL_CNIS = {"flannel": flannel, "calico": calico}
#: Pod networks whose lab gives net.SHAPED_NODE its real-cluster shape (no --node-ip, a second interface, a
#: temporary IPv6 address): the bridge lab (CI's main scenario). Not Calico (its default IP autodetection,
#: first-found, may take either extra address) nor flannel (it takes its IPv6 public address from the
#: interface's list, where the temporary one may come first): both need their interface or address set.
SHAPED_NETWORKS = ("bridge",)


# --------------------------------------------------------------------------- sysctls


def baseline_path() -> Path:
    """Return where the host's pre-lab sysctls are recorded (outside the run dir)."""
    return cache_root() / "state" / "host-sysctls.json"


def _skip_sysctl(rel: str) -> bool:
    if rel.startswith(VOLATILE_SYSCTLS):
        return True
    parts = rel.split("/")
    # Per-interface entries of the lab's own (temporary) links.
    lab = {net.BRIDGE, *(n.veth_host for n in net.ALL_NETNS)}
    return any(p in lab for p in parts)


def read_sysctls() -> dict[str, str]:
    """Return every readable host sysctl (host network namespace) but volatile ones."""
    base = Path("/proc/sys")
    result: dict[str, str] = {}
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            path = Path(dirpath) / name
            rel = str(path.relative_to(base))
            if _skip_sysctl(rel):
                continue
            try:
                if not os.access(path, os.R_OK):
                    continue
                result[rel] = path.read_text().strip()
            except OSError:
                continue
    return result


def record_sysctls() -> Path:
    """Record the host's sysctls once (a crashed ``up`` must not overwrite them)."""
    path = baseline_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file(path, json.dumps(read_sysctls(), indent=0, sort_keys=True))
    return path


def changed_sysctls() -> dict[str, tuple[str, str]]:
    """Return ``{key: (recorded, now)}`` for sysctls that differ from the record."""
    path = baseline_path()
    if not path.exists():
        return {}
    before = json.loads(path.read_text())
    now = read_sysctls()
    return {k: (v, now[k]) for k, v in before.items() if k in now and now[k] != v}


def restore_sysctls(log_fn: Log = log) -> None:
    """Write back recorded values of sysctls that changed."""
    for key, (before, now) in changed_sysctls().items():
        try:
            (Path("/proc/sys") / key).write_text(before)
            log_fn(f"restored {key.replace('/', '.')}: {now} -> {before}")
        except OSError as exc:
            log_fn(f"cannot restore {key}: {exc}")


# --------------------------------------------------------------------------- up


def check_host() -> None:
    """Fail early when the host lacks root or a tool."""
    if os.geteuid() != 0:
        raise SystemExit("dslab needs root")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"missing host tools: {', '.join(missing)} "
                         "(apt-get install systemd-container debootstrap iproute2 "
                         "openssh-client util-linux)")
    if uml.active():
        missing = [t for t, _pkg in uml.HOST_TOOLS if shutil.which(t) is None]
        if missing:
            raise SystemExit(f"{uml.KERNEL_ENV}=uml needs {', '.join(missing)} (apt-get install -y "
                             + " ".join(pkg for t, pkg in uml.HOST_TOOLS if t in missing) + ")")


def parallel(fn: Callable[[Node], object], items: list[Node]) -> None:
    """Run ``fn`` for every node in threads; re-raise the first error."""
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        for fut in [pool.submit(fn, n) for n in items]:
            fut.result()


def cni_inputs(pod_network: str, log_fn: Log = log) -> tuple[dict[str, Path], dict[str, Path]]:
    """The real CNI's plugin binaries (name -> path) and image tarballs, built once and cached."""
    if pod_network == "flannel":
        fbins = flannel.ensure_binaries(log_fn)
        return {name: fbins / name for name in flannel.CNI_PLUGINS}, flannel.ensure_images(log_fn)
    if pod_network == "calico":
        # calico's install-cni init container copies its plugins into /opt/cni/bin itself.
        return {}, calico.ensure_images(log_fn)
    return {}, {}


def prepare_node(n: Node, base: Path, bindir: Path, refs: dict[str, str], pod_network: str,
                 cni_bins: dict[str, Path], lab_style: str, log_fn: Log = log) -> None:
    """Give ``n`` its network namespace, rootfs and node files (idempotent)."""
    shaped = lab_style == "kubeadm" and pod_network in SHAPED_NETWORKS
    own_kernel = uml.active()
    net.ensure_node_netns(n, shaped=shaped, bare=own_kernel)
    record_netns(n)
    if not own_kernel:
        run(["ip", "netns", "exec", n.netns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
    root = nodes.ensure_node_rootfs(n, base, log_fn)
    if own_kernel:
        uml.install_node_files(n, root, nodes.node_dir(n), shaped)
    cluster.install_node_files(n, bindir, refs["pause"], pod_network, cni_bins)  # same key in both namings
    if lab_style == "units":
        handmade.install_node_files(n, bindir)
    if pod_network == "bridge":
        podnet.install_agent(n)


def start_node_runtime(n: Node, tarballs: dict[str, Path], refs: dict[str, str], cni_tarballs: dict[str, Path],
                       log_fn: Log = log) -> None:
    """Start containerd on ``n`` and import the images it runs."""
    cluster.start_runtime(n)
    cluster.import_images(n, {**cluster.images_for(n, tarballs, refs), **cni_tarballs}, log_fn)


def step_timer(times: dict[str, float], log_fn: Log = log, prefix: str = "") -> Callable[[str], None]:
    """Return ``mark(step)``: records in ``times`` the seconds since the previous mark (or since now) and logs them."""
    last = [time.monotonic()]

    def mark(step: str) -> None:
        now = time.monotonic()
        times[step] = round(now - last[0], 1)
        last[0] = now
        log_fn(f"{prefix}step {step}: {times[step]}s")

    return mark


def up(version: str | None = None, log_fn: Log = log) -> dict[str, float]:
    """Bring the lab up (restartable); return step timings in seconds."""
    check_host()
    times: dict[str, float] = {}
    t_all = time.monotonic()
    mark = step_timer(times, log_fn)
    version = version or default_version()
    lab_style = handmade.style()
    recorded = run_dir() / "style"
    if recorded.exists() and recorded.read_text().strip() != lab_style:
        raise SystemExit(f"the lab in {run_dir()} was built with DUALSTACK_LAB_STYLE={recorded.read_text().strip()}; "
                         f"run `dslab down` before `up` with {lab_style}")
    pod_network = podnet.selected()
    recorded_cni = run_dir() / "cni"
    if recorded_cni.exists() and recorded_cni.read_text().strip() != pod_network:
        raise SystemExit(f"the lab in {run_dir()} runs DUALSTACK_LAB_CNI={recorded_cni.read_text().strip()}; "
                         f"run `dslab down` before `up` with {pod_network}")
    if pod_network != "bridge" and lab_style != "kubeadm":
        raise SystemExit(f"DUALSTACK_LAB_CNI={pod_network} needs DUALSTACK_LAB_STYLE=kubeadm")
    control_planes = net.control_plane_count()
    recorded_cps = run_dir() / "control-planes"
    wanted_cps = os.environ.get(net.CONTROL_PLANES_ENV, "").strip()
    if recorded_cps.exists() and wanted_cps and wanted_cps != str(control_planes):
        raise SystemExit(f"the lab in {run_dir()} runs {net.CONTROL_PLANES_ENV}={control_planes}; "
                         f"run `dslab down` before `up` with {wanted_cps}")
    kernel = uml.selected()
    recorded_kernel = run_dir() / "kernel"
    wanted_kernel = os.environ.get(uml.KERNEL_ENV, "").strip()
    if recorded_kernel.exists() and wanted_kernel and wanted_kernel != kernel:
        raise SystemExit(f"the lab in {run_dir()} runs {uml.KERNEL_ENV}={kernel}; "
                         f"run `dslab down` before `up` with {wanted_kernel}")
    if kernel == "uml" and (lab_style != "kubeadm" or pod_network != "bridge"):
        raise SystemExit(f"{uml.KERNEL_ENV}=uml has run with DUALSTACK_LAB_STYLE=kubeadm and the lab's bridge CNI "
                         f"only (asked: {lab_style}, {pod_network})")
    if control_planes > 1 and lab_style != "kubeadm":
        raise SystemExit(f"{net.CONTROL_PLANES_ENV}={control_planes} needs DUALSTACK_LAB_STYLE=kubeadm "
                         "(kubeadm join --control-plane)")
    record_sysctls()
    bindir = ensure_binaries(version, log_fn)
    tarballs = ensure_images(version, log_fn)
    refs = image_refs(version)
    cni_bins, cni_tarballs = cni_inputs(pod_network, log_fn)
    cni_tarballs = {**cni_tarballs, **csi.ensure_images(version, log_fn)}
    if uml.active():
        uml.ensure_kernel(log_fn)
    mark("binaries+images")
    base = nodes.ensure_base_rootfs(log_fn)
    mark("base-rootfs")
    run_dir().mkdir(parents=True, exist_ok=True)
    write_file(recorded, lab_style + "\n")
    write_file(recorded_cni, pod_network + "\n")
    write_file(recorded_cps, f"{control_planes}\n")
    write_file(recorded_kernel, kernel + "\n")
    nodes.ensure_ssh_key()
    net.ensure_bridge()
    cluster.install_host_kubectl(bindir)

    def prepare(n: Node) -> None:
        prepare_node(n, base, bindir, refs, pod_network, cni_bins, lab_style, log_fn)

    parallel(prepare, list(net.nodes()))
    mark("node-rootfs")
    for n in net.nodes():
        nodes.boot_node(n, log_fn)
    for n in net.nodes():
        nodes.wait_booted(n)
    mark("boot")

    def runtime(n: Node) -> None:
        start_node_runtime(n, tarballs, refs, cni_tarballs, log_fn)

    parallel(runtime, list(net.nodes()))
    coredns = cluster.ref_for(refs, "coredns")
    with_coredns = coredns is not None and coredns in tarballs
    cp = net.control_plane()
    if lab_style == "units":
        mark("runtime+images")
        handmade.control_plane(version, refs, log_fn)
        mark("control-plane-units")
        for n in net.nodes():
            handmade.start_node(n, log_fn)
        podnet.distribute_credentials(podnet.ensure_credentials(log_fn))
        cluster.wait_all_ready()
        handmade.label_control_plane()
        podnet.wait_routes()
        deploy_csi(version, mark, log_fn)
        return _finish(mark, times, t_all, log_fn)
    write_file(nodes.node_rootfs(cp) / "etc/kubernetes/dslab-kubeadm.yaml",
                       cluster.kubeadm_init_config(version, refs, with_coredns), 0o600)
    expected = nodes.node_run(cp, ["kubeadm", "config", "images", "list", "--config",
                                   "/etc/kubernetes/dslab-kubeadm.yaml"]).stdout.split()
    if not set(expected) <= cluster.node_images(cp):
        for n in net.nodes():
            cluster.alias_images(n, refs, expected, log_fn)
    mark("runtime+images")
    if net.is_ha():
        # controlPlaneEndpoint: kubeadm init talks to the apiserver through it once cp1's is up.
        lb.ensure(cluster.API_PORT, log_fn)
        mark("load-balancer")
    cluster.kubeadm_init(version, refs, with_coredns, log_fn)
    cluster.export_admin_conf()

    wait_for("API server", cluster.api_ready, 120, 1)
    mark("kubeadm-init")
    if pod_network in REAL_CNIS:
        REAL_CNIS[pod_network].deploy(log_fn)
    else:
        podnet.distribute_credentials(podnet.ensure_credentials(log_fn))
    # One control plane at a time (each adds an etcd member), then the workers.
    for n in net.control_planes()[1:]:
        cluster.kubeadm_join(n, log_fn)
    if net.is_ha():
        lb.wait_all_up()
        mark("kubeadm-join-control-plane")
    for n in net.workers():
        cluster.kubeadm_join(n, log_fn, with_node_ip=not (pod_network in SHAPED_NETWORKS and n.name == net.SHAPED_NODE))
    mark("kubeadm-join")
    cluster.wait_all_ready()
    if pod_network in REAL_CNIS:
        REAL_CNIS[pod_network].wait_ready()
    else:
        podnet.wait_routes()
    cluster.wait_coredns()
    deploy_csi(version, mark, log_fn)
    return _finish(mark, times, t_all, log_fn)


def deploy_csi(version: str, mark: Callable[[str], None], log_fn: Log) -> None:
    """Run the lab's CSI node plugin on every node and wait until each CSINode lists its driver."""
    csi.deploy(version, log_fn)
    csi.wait_registered()
    mark("csi-node-plugin")


def _finish(mark: Callable[[str], None], times: dict[str, float], t_all: float, log_fn: Log) -> dict[str, float]:
    """Wait for ssh on every node, record the step timings, return them."""
    for n in net.nodes():
        wait_for(f"{n.name} ssh", functools.partial(nodes.ssh_ok, n), 60, 1)
    mark("ready")
    times["total"] = round(time.monotonic() - t_all, 1)
    write_file(run_dir() / "up-times.json", json.dumps(times, indent=1))
    log_fn(f"lab up in {times['total']}s; kubeconfig {cluster.kubeconfig_path()}")
    return times


# --------------------------------------------------------------------------- late nodes


def late_nodes_present() -> list[Node]:
    """The late nodes that ran ``kubeadm join`` (their rootfs has the kubelet's kubeconfig)."""
    return [n for n in net.LATE_NODES if cluster.has_joined(n)]


def join_late(name: str, log_fn: Log = log) -> dict[str, float]:
    """Boot a late node and join it with a plain ``kubeadm join`` (one ``--node-ip``); return step timings.

    The cluster must be up (kubeadm style). Restartable like ``up``. The node gets what ``up``
    gives a worker (rootfs, node files, images, the pod network's pieces), nothing of the conversion:
    a node an operator adds after the cluster was converted.
    """
    check_host()
    n = net.late_node(name)
    if handmade.style() != "kubeadm" or not cluster.is_initialised():
        raise SystemExit("dslab join needs a running lab of DUALSTACK_LAB_STYLE=kubeadm (dslab up first)")
    times: dict[str, float] = {}
    t_all = time.monotonic()
    mark = step_timer(times, log_fn, n.name + " ")
    version = default_version()
    pod_network = (run_dir() / "cni").read_text().strip() if (run_dir() / "cni").exists() else "bridge"
    bindir = ensure_binaries(version, log_fn)
    tarballs = ensure_images(version, log_fn)
    refs = image_refs(version)
    cni_bins, cni_tarballs = cni_inputs(pod_network, log_fn)
    cni_tarballs = {**cni_tarballs, **csi.ensure_images(version, log_fn)}
    prepare_node(n, nodes.ensure_base_rootfs(log_fn), bindir, refs, pod_network, cni_bins, "kubeadm", log_fn)
    if pod_network == "bridge":
        # The lab's pod-network agent on the node reads the Nodes with these (as `up` gives every node).
        podnet.distribute_credentials(podnet.ensure_credentials(log_fn), [n])
    mark("node-rootfs")
    nodes.boot_node(n, log_fn)
    nodes.wait_booted(n)
    mark("boot")
    start_node_runtime(n, tarballs, refs, cni_tarballs, log_fn)
    expected = nodes.node_run(net.control_plane(), ["kubeadm", "config", "images", "list", "--config",
                                                    "/etc/kubernetes/dslab-kubeadm.yaml"]).stdout.split()
    if not set(expected) <= cluster.node_images(n):
        cluster.alias_images(n, refs, expected, log_fn)
    mark("runtime+images")
    cluster.kubeadm_join(n, log_fn)
    mark("kubeadm-join")

    def ready() -> bool:
        return bool(cluster.nodes_ready().get(n.name))

    wait_for(f"{n.name} Ready", ready, 180, 2)
    wait_for(f"{n.name} ssh", functools.partial(nodes.ssh_ok, n), 60, 1)
    mark("ready")
    times["total"] = round(time.monotonic() - t_all, 1)
    return times


def remove_late(name: str, log_fn: Log = log) -> None:
    """Drain and delete a late node's Node, stop it and remove its rootfs and network namespace."""
    check_host()
    n = net.late_node(name)
    if cluster.kubeconfig_path().exists():
        cluster.kubectl("drain", n.name, "--ignore-daemonsets", "--delete-emptydir-data", "--force",
                        "--timeout=120s", check=False, timeout=180)
        cluster.kubectl("delete", "node", n.name, "--ignore-not-found", "--wait=true", check=False, timeout=120)
    stop_workloads(n, log_fn)
    nodes.halt_node(n, log_fn=log_fn)
    nodes.kill_node_processes(n)
    net.remove_node_netns(n)
    nodes.remove_node(n, log_fn)
    log_fn(f"{n.name} removed")


# --------------------------------------------------------------------------- down


def stop_workloads(n: Node, log_fn: Log = log) -> None:
    """Stop the kubelet, then SIGKILL every pod process of a running node (an nspawn node's, from the host)."""
    if nodes.launcher_pid(n) is None:
        return
    try:
        nodes.node_run(n, ["systemctl", "stop", "kubelet.service"], check=False, timeout=30)
    except Exception as exc:  # noqa: BLE001 - teardown goes on regardless
        log_fn(f"{n.name}: stopping kubelet: {exc}")
    if uml.active():
        return  # its pods are processes of its own kernel: the poweroff ends them
    pods = [d / "kubepods" for d in nodes.node_cgroups(n)]
    pods += [d / "kubepods.slice" for d in nodes.node_cgroups(n)]
    pids = sorted({p for d in pods for p in nodes.cgroup_pids(d)})
    for p in pids:
        try:
            os.kill(p, 9)
        except ProcessLookupError:
            pass
    if pids:
        log_fn(f"{n.name}: killed {len(pids)} pod processes")


def down(log_fn: Log = log) -> list[str]:
    """Tear the lab down; return leftovers (empty on success)."""
    t0 = time.monotonic()
    for n in net.ALL_NODES:
        stop_workloads(n, log_fn)
    for n in net.ALL_NODES:
        nodes.halt_node(n, log_fn=log_fn)
    for n in net.ALL_NODES:
        nodes.kill_node_processes(n)
    stray = pids_in_lab_netns()
    for pid in stray:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    if stray:
        log_fn(f"killed {len(stray)} processes left in lab network namespaces")
        time.sleep(0.5)
    lb.stop(log_fn)
    for n in net.ALL_NODES:
        net.remove_node_netns(n)
        nodes.remove_node(n, log_fn)
    net.remove_node_netns(net.LOAD_BALANCER)
    net.remove_bridge()
    restore_sysctls(log_fn)
    left = leftovers()
    if not left:
        if run_dir().exists():
            shutil.rmtree(run_dir())
        baseline_path().unlink(missing_ok=True)
        netns_record().unlink(missing_ok=True)
    log_fn(f"down in {time.monotonic() - t0:.1f}s; leftovers: {len(left)}")
    return left


# --------------------------------------------------------------------------- leftovers


def netns_record() -> Path:
    """Return the file recording the inode of every lab netns (outside the run dir)."""
    return cache_root() / "state" / "netns.json"


_NETNS_LOCK = threading.Lock()


def record_netns(n: Node) -> None:
    """Remember the node's netns inode, so processes left in it are found after it is unmounted."""
    with _NETNS_LOCK:
        _record_netns(n)


def _record_netns(n: Node) -> None:
    path = netns_record()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[n.netns] = os.stat(net.NETNS_DIR / n.netns).st_ino
    write_file(path, json.dumps(data, sort_keys=True))


def lab_netns_inodes() -> set[int]:
    """Return the inodes of lab netns: mounted ones and recorded ones."""
    inodes: set[int] = set()
    for name in net.lab_netns():
        try:
            inodes.add(os.stat(net.NETNS_DIR / name).st_ino)
        except OSError:
            pass
    try:
        inodes.update(int(v) for v in json.loads(netns_record().read_text()).values())
    except (OSError, ValueError):
        pass
    return inodes


def pids_in_lab_netns() -> list[int]:
    """Return host PIDs whose network namespace is a lab one."""
    inodes = lab_netns_inodes()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if os.stat(entry / "ns/net").st_ino in inodes:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def lab_processes() -> list[str]:
    """Return host processes that belong to the lab."""
    nodes_root = str(run_dir() / "nodes") + "/"
    netns_inodes = lab_netns_inodes()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            root = os.readlink(entry / "root")
            nsino = os.stat(entry / "ns/net").st_ino
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if root.startswith(nodes_root) or nsino in netns_inodes or "--machine=dslab-" in cmd:
            found.append(f"process {entry.name}: {cmd[:100]}")
    for n in net.ALL_NODES:
        for d in nodes.node_cgroups(n):
            for p in nodes.cgroup_pids(d):
                found.append(f"process {p} in cgroup {d}")
    return found


def lab_mounts() -> list[str]:
    """Return host mounts under the run dir or of lab netns."""
    prefixes = (str(run_dir()) + "/", str(net.NETNS_DIR / "dslab-"))
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mnt = line.split()[4]
        if mnt.startswith(prefixes):
            found.append(f"mount {mnt}")
    return found


def lab_iptables() -> list[str]:
    """Return host iptables/ip6tables rules mentioning the lab."""
    found = []
    for tool in ("iptables-save", "ip6tables-save"):
        if shutil.which(tool) is None:
            continue
        out = run([tool], check=False).stdout
        found += [f"{tool}: {ln}" for ln in out.splitlines()
                  if "dslab" in ln or net.BRIDGE in ln or "192.168.77." in ln or "fd00:77:" in ln]
    return found


def leftovers() -> list[str]:
    """List everything the lab left on the host (empty when clean)."""
    found = lab_processes() + lab_mounts()
    found += [f"netns {x}" for x in net.lab_netns()]
    found += [f"link {x}" for x in net.lab_links()]
    for n in net.ALL_NODES:
        found += [f"cgroup {d}" for d in nodes.node_cgroups(n) if d.exists()]
        if nodes.node_dir(n).exists():
            found.append(f"node dir {nodes.node_dir(n)}")
    if lb.ADMIN_DIR.exists():
        found.append(f"load balancer socket dir {lb.ADMIN_DIR}")
    found += lab_iptables()
    found += [f"sysctl {k.replace('/', '.')}: recorded {a!r}, now {b!r}"
              for k, (a, b) in changed_sysctls().items()]
    return found


# --------------------------------------------------------------------------- status / inventory


def status() -> dict[str, object]:
    """Return a summary of the lab's state."""
    result: dict[str, object] = {"run_dir": str(run_dir()), "nodes": {}}
    for n in net.nodes() + tuple(late_nodes_present()):
        result["nodes"][n.name] = {  # type: ignore[index]
            "pid": nodes.launcher_pid(n),
            "kernel": uml.selected(),
            "systemd": nodes.system_state(n) or "down",
            "ipv4": n.ipv4, "ipv6": n.ipv6,
        }
    if net.is_ha():
        result["load_balancer"] = {"pid": lb.pid(), "servers": lb.servers()}
    if cluster.kubeconfig_path().exists():
        try:
            result["ready"] = cluster.nodes_ready()
        except (CommandError, OSError) as exc:
            result["ready"] = f"API unreachable: {exc}"
    return result


def inventory() -> dict[str, object]:
    """Return an Ansible YAML/JSON inventory (kubespray group names)."""
    def host(n: Node) -> dict[str, str]:
        return {"ansible_host": n.ipv4, "ip": n.ipv4, "access_ip": n.ipv4, "ip6": n.ipv6}

    return {
        "all": {
            "vars": {
                **(lb.rotation_vars() if net.is_ha() else {}),
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(nodes.ssh_key()),
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no "
                                           "-o UserKnownHostsFile=/dev/null",
                "ansible_python_interpreter": "/usr/bin/python3",
                "dslab_kubeconfig": str(cluster.kubeconfig_path()),
                "dslab_kubectl": str(cluster.kubectl_path()),
            },
            "children": {
                "k8s_cluster": {
                    "children": {
                        "kube_control_plane": {
                            "hosts": {n.name: host(n) for n in net.nodes()
                                      if n.role == "control-plane"}},
                        "kube_node": {
                            "hosts": {n.name: host(n) for n in net.nodes() + tuple(late_nodes_present())
                                      if n.role == "worker"}},
                    }
                }
            },
        }
    }


def molecule_instances() -> list[dict[str, object]]:
    """Return the instance config Molecule's default (delegated) driver reads."""
    return [{"instance": n.name, "address": n.ipv4, "user": "root", "port": 22,
             "identity_file": str(nodes.ssh_key())} for n in net.nodes()]
