"""Cluster: containerd and kubelet in each node, images, kubeadm init and join.

The shape inside a node is what operators have after installing the
upstream packages: binaries in /usr/local/bin, ``kubelet.service`` with
kubeadm's ``10-kubeadm.conf`` drop-in reading
``/var/lib/kubelet/kubeadm-flags.env`` and ``/var/lib/kubelet/config.yaml``,
and containerd with the CRI plugin.  The cluster is single-stack IPv4.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import time
from pathlib import Path

from dslab import build, net, nodes, uml
from dslab.net import Node
from dslab.util import CommandError, Log, log, run, run_dir, wait_for, write_file

POD_SUBNET = "10.244.0.0/16"
SERVICE_SUBNET = "10.96.0.0/16"
API_PORT = 6443
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
NODE_BINARIES = ("kubelet", "kubeadm", "kubectl")
#: containerd 2 built for the releases that need it (dslab.build.needs_containerd2); when the release's bin dir
#: has them they go to /usr/local/bin and a drop-in starts them instead of Debian's containerd 1.6.
CONTAINERD2_BINARIES = ("containerd", "containerd-shim-runc-v2", "ctr")
CONTAINERD2_DROPIN_PATH = "etc/systemd/system/containerd.service.d/10-dslab-containerd2.conf"
CONTAINERD2_DROPIN = """\
# dslab: containerd 2 built from source (the release needs it); Debian's package stays for runc and its unit.
[Service]
ExecStart=
ExecStart=/usr/local/bin/containerd
"""
CNI_TEMPLATE_PATH = "/etc/containerd/dslab-cni.tmpl"
CNI_BIN_DIR = "/usr/lib/cni"
REAL_CNI_BIN_DIR = "/opt/cni/bin"

#: Preflight checks that cannot pass in an nspawn node, and why.  Verified
#: with kubeadm v1.34: none.  SystemVerification only warns ("cgroups v1
#: support is in maintenance mode") although the node has no /lib/modules
#: and no kernel config; ImagePull passes because every image is imported
#: before ``kubeadm init`` (a pull would fail: the lab has no registry).
IGNORED_PREFLIGHT: dict[str, str] = {}
#: From kubeadm 1.35 SystemVerification is an error on cgroup v1 unless skipped explicitly, besides the
#: kubelet's failCgroupV1: false (KEP-5573; the lab's nodes see only cgroup v1).
IGNORED_PREFLIGHT_FROM_1_35: dict[str, str] = {"SystemVerification": "cgroup v1 (KEP-5573), failCgroupV1: false is set"}


#: User-Mode Linux is uniprocessor (``DUALSTACK_LAB_KERNEL=uml``): kubeadm wants 2 CPUs on a control plane.
IGNORED_PREFLIGHT_UML: dict[str, str] = {"NumCPU": "a User-Mode Linux kernel runs one CPU"}


def ignored_preflight(version: str = "", own_kernel: bool | None = None) -> dict[str, str]:
    """The preflight checks ignored for kubeadm ``version`` (``v1.35.8``; empty: the older rules).

    ``own_kernel``: the nodes run User-Mode Linux (default: the lab's :func:`dslab.uml.active`).
    """
    newer = bool(version) and build.release_minor(version) >= 35
    if own_kernel is None:
        own_kernel = uml.active()
    return {**IGNORED_PREFLIGHT, **(IGNORED_PREFLIGHT_FROM_1_35 if newer else {}),
            **(IGNORED_PREFLIGHT_UML if own_kernel else {})}


def _ignores(version: str = "") -> str:
    """Return the ``ignorePreflightErrors`` block (empty when nothing is ignored)."""
    ignored = ignored_preflight(version)
    if not ignored:
        return ""
    return "  ignorePreflightErrors:\n" + "".join(f"  - {k}\n" for k in ignored)


KUBELET_UNIT = """\
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/local/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
"""

KUBEADM_DROPIN = """\
# Written the way the upstream kubeadm package ships it.
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# kubeadm init/join write KUBELET_KUBEADM_ARGS here at runtime.
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# Operators' overrides (KUBELET_EXTRA_ARGS) go here.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"""

LAB_DROPIN = """\
# dslab: start after the runtime and the cgroup remount.
[Unit]
After=containerd.service dslab-cgroup-rw.service
Wants=containerd.service
"""

CNI_TEMPLATE = """\
{
  "cniVersion": "1.0.0",
  "name": "dslab",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [{{range $i, $r := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$r}}"}]{{end}}],
        "routes": [{{range $i, $r := .Routes}}{{if $i}}, {{end}}{"dst": "{{$r}}"}{{end}}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
"""


def _cni_section(pod_network: str, bin_key: str) -> str:
    """The CRI plugin's ``cni`` keys (``bin_key``: containerd 1.6's ``bin_dir``, 2.x's ``bin_dirs``)."""
    bin_dir = CNI_BIN_DIR if pod_network == "bridge" else REAL_CNI_BIN_DIR
    bins = f'"{bin_dir}"' if bin_key == "bin_dir" else f'["{bin_dir}"]'
    text = f'    {bin_key} = {bins}\n    conf_dir = "/etc/cni/net.d"\n'
    if pod_network == "bridge":
        text += f'    conf_template = "{CNI_TEMPLATE_PATH}"\n'
    return text


#: Snapshotters the nodes cannot use (no btrfs/zfs/devmapper in a container, no aufs in the kernel).
DISABLED_PLUGINS = """\
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
"""


def _runtime_keys(table: str, containerd_extra: str = "") -> str:
    """The CRI runtime's keys under ``table`` (1.6's ``plugins."io.containerd.grpc.v1.cri"``, 2.x's
    ``plugins.'io.containerd.cri.v1.runtime'``): runc v2 with cgroupfs, a bounded oom_score_adj."""
    return f"""\
  # The host bounding set lacks CAP_SYS_RESOURCE: runc cannot set a
  # negative oom_score_adj.
  restrict_oom_score_adj = true
  [{table}.containerd]
{containerd_extra}    default_runtime_name = "runc"
    [{table}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{table}.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [{table}.cni]
"""


def containerd_config(pause_ref: str, pod_network: str = "bridge", containerd2: bool = False) -> str:
    """Return /etc/containerd/config.toml for a node (see lab notes).

    ``pod_network`` ``bridge`` (the lab's own): containerd renders the CNI config from the
    node's podCIDRs through ``conf_template``, plugins from Debian's ``/usr/lib/cni``.  Any other
    (``flannel``): no template, the CNI's DaemonSet writes ``/etc/cni/net.d`` and plugins sit in
    ``/opt/cni/bin``, as on a kubeadm node with a real CNI.  ``containerd2``: the same settings in
    containerd 2's config version 3 (the CRI plugin split into ``io.containerd.cri.v1.images`` and
    ``io.containerd.cri.v1.runtime``; the sandbox image is the ``sandbox`` pinned image).
    """
    if containerd2:
        runtime = "plugins.'io.containerd.cri.v1.runtime'"
        return f"""\
version = 3
{DISABLED_PLUGINS}
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "{pause_ref}"

[{runtime}]
{_runtime_keys(runtime)}{_cni_section(pod_network, "bin_dirs")}"""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""\
version = 2
{DISABLED_PLUGINS}
[{cri}]
  sandbox_image = "{pause_ref}"
{_runtime_keys(cri, '    snapshotter = "overlayfs"' + chr(10))}{_cni_section(pod_network, "bin_dir")}"""


# --------------------------------------------------------------------------- node software


def install_binary(src: Path, dst: Path) -> bool:
    """Hard-link (else copy) a built binary into a node's rootfs unless it is there; True if it changed."""
    if dst.exists() and dst.stat().st_size == src.stat().st_size:
        return False
    tmp = dst.with_name(dst.name + ".dslab-tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    os.replace(tmp, dst)
    return True


def install_node_files(n: Node, bindir: Path, pause_ref: str, pod_network: str = "bridge",
                       cni_bins: dict[str, Path] | None = None) -> bool:
    """Put binaries, units and configs into the node's rootfs; True if anything changed.

    ``cni_bins`` (name -> built plugin) go into :data:`REAL_CNI_BIN_DIR` for a real CNI.
    """
    root = nodes.node_rootfs(n)
    changed = False
    for name in NODE_BINARIES:
        changed |= install_binary(bindir / name, root / "usr/local/bin" / name)
    changed |= write_file(root / "etc/systemd/system/kubelet.service", KUBELET_UNIT)
    changed |= write_file(root / "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
                          KUBEADM_DROPIN)
    changed |= write_file(root / "etc/systemd/system/kubelet.service.d/20-dslab.conf",
                          LAB_DROPIN)
    default_kubelet = root / "etc/default/kubelet"
    if not default_kubelet.exists():
        # What the upstream package ships; operators put extra flags here.
        changed |= write_file(default_kubelet, "KUBELET_EXTRA_ARGS=\n")
    containerd2 = (bindir / "containerd").is_file()
    for name in CONTAINERD2_BINARIES:
        if containerd2:
            changed |= install_binary(bindir / name, root / "usr/local/bin" / name)
        elif (root / "usr/local/bin" / name).exists():  # a node kept from a newer release's lab
            (root / "usr/local/bin" / name).unlink()
            changed = True
    if containerd2:
        changed |= write_file(root / CONTAINERD2_DROPIN_PATH, CONTAINERD2_DROPIN)
    elif (root / CONTAINERD2_DROPIN_PATH).exists():
        (root / CONTAINERD2_DROPIN_PATH).unlink()
        changed = True
    changed |= write_file(root / "etc/containerd/config.toml",
                          containerd_config(pause_ref, pod_network, containerd2))
    if pod_network == "bridge":
        changed |= write_file(root / CNI_TEMPLATE_PATH.lstrip("/"), CNI_TEMPLATE)
    for name, src in sorted((cni_bins or {}).items()):
        (root / REAL_CNI_BIN_DIR.lstrip("/")).mkdir(parents=True, exist_ok=True)
        changed |= install_binary(src, root / REAL_CNI_BIN_DIR.lstrip("/") / name)
    (root / "etc/cni/net.d").mkdir(parents=True, exist_ok=True)
    (root / "etc/kubernetes/manifests").mkdir(parents=True, exist_ok=True)
    return changed


def start_runtime(n: Node) -> None:
    """Enable and start containerd and kubelet inside a booted node."""
    nodes.node_run(n, ["systemctl", "daemon-reload"])
    nodes.node_run(n, ["systemctl", "enable", "--now", "containerd.service"])
    nodes.node_run(n, ["systemctl", "enable", "kubelet.service"])
    wait_for(f"{n.name} containerd", lambda: nodes.node_run(
        n, ["ctr", "version"], check=False, timeout=10).returncode == 0, 60)


def node_images(n: Node) -> set[str]:
    """Return the image refs present in the node's k8s.io containerd namespace."""
    out = nodes.node_run(n, ["ctr", "-n", "k8s.io", "images", "ls", "-q"]).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


#: Images a worker needs (by role); the control plane gets every image.
WORKER_IMAGE_ROLES = ("pause", "kube-proxy", "coredns", "agnhost", "testbox")


def images_for(n: Node, tarballs: dict[str, Path], refs: dict[str, str]) -> dict[str, Path]:
    """Return the tarballs node ``n`` needs (workers skip control-plane images)."""
    if n.role == "control-plane":
        return dict(tarballs)
    wanted = {ref_for(refs, role) for role in WORKER_IMAGE_ROLES}
    return {ref: tar for ref, tar in tarballs.items() if ref in wanted}


#: Where :func:`import_images` puts a tarball inside the node while ``ctr`` imports it.
IMAGE_STAGING = "/var/tmp/dslab-images"


def import_images(n: Node, tarballs: dict[str, Path], log_fn: Log = log) -> None:
    """Import every image tarball the node does not have yet."""
    have = node_images(n)
    for ref, tar in sorted(tarballs.items()):
        if ref in have or _normalise(ref) in have:
            continue
        t0 = time.monotonic()
        # Staged in the node's rootfs (a hard link): read at the host's speed, not through ssh (a User-Mode
        # Linux node's one CPU would encrypt it) nor a pipe.
        staged = nodes.node_rootfs(n) / IMAGE_STAGING.lstrip("/") / tar.name
        staged.parent.mkdir(parents=True, exist_ok=True)
        install_binary(tar, staged)
        try:
            nodes.node_run(n, ["ctr", "-n", "k8s.io", "images", "import", f"{IMAGE_STAGING}/{tar.name}"],
                           timeout=300)
        finally:
            staged.unlink(missing_ok=True)
        log_fn(f"{n.name}: imported {ref} in {time.monotonic() - t0:.1f}s")


def _normalise(ref: str) -> str:
    """Return the fully qualified form containerd stores for a short ref."""
    if "/" not in ref.split(":")[0] or "." not in ref.split("/")[0]:
        return "docker.io/" + (ref if "/" in ref else "library/" + ref)
    return ref


def alias_images(n: Node, refs: dict[str, str], expected: list[str], log_fn: Log = log) -> None:
    """Tag imported images under the names kubeadm expects, where they differ."""
    have = node_images(n)
    for want in expected:
        if want in have:
            continue
        name = want.rsplit("/", 1)[-1].split(":")[0]  # kube-apiserver, etcd, pause, coredns
        src = ref_for(refs, name)
        if src is None or src not in have:
            continue
        nodes.node_run(n, ["ctr", "-n", "k8s.io", "images", "tag", "--force", src, want])
        log_fn(f"{n.name}: tagged {src} as {want}")


# --------------------------------------------------------------------------- kubeadm config


def ref_for(refs: dict[str, str], role: str) -> str | None:
    """Return the ref for ``role`` whether keyed ``kube-apiserver`` or ``apiserver``."""
    return refs.get(role) or refs.get(role.removeprefix("kube-")) or refs.get("kube-" + role)


def image_repository(refs: dict[str, str]) -> str:
    """Return the registry prefix of the control-plane images (apiserver's)."""
    ref = ref_for(refs, "kube-apiserver")
    assert ref is not None, "no kube-apiserver image ref"
    return ref.rsplit("/", 1)[0]


def _arg(name: str, value: str) -> str:
    return f"  - name: {name}\n    value: \"{value}\"\n"


def kubeadm_init_config(version: str, refs: dict[str, str], with_coredns: bool = True) -> str:
    """Return the kubeadm init configuration (v1beta4) for the lab.

    The image helper names images exactly as kubeadm expects them, so only
    ``imageRepository`` is set; :func:`alias_images` covers any difference.
    """
    cp = net.control_plane()
    ha = net.is_ha()
    return (
        "apiVersion: kubeadm.k8s.io/v1beta4\n"
        "kind: InitConfiguration\n"
        # HA: the key that encrypts the certificates `kubeadm init --upload-certs` puts in kube-system.
        + (f"certificateKey: {certificate_key()}\n" if ha else "")
        + "localAPIEndpoint:\n"
        f"  advertiseAddress: {cp.ipv4}\n"
        f"  bindPort: {API_PORT}\n"
        "nodeRegistration:\n"
        f"  name: {cp.name}\n"
        f"  criSocket: {CRI_SOCKET}\n"
        "  imagePullPolicy: IfNotPresent\n"
        "  kubeletExtraArgs:\n" + _arg("node-ip", cp.ipv4)
        + _ignores(version)
        + _uml_patches()
        + "---\n"
        "apiVersion: kubeadm.k8s.io/v1beta4\n"
        "kind: ClusterConfiguration\n"
        "clusterName: dslab\n"
        f"kubernetesVersion: {version}\n"
        f"controlPlaneEndpoint: \"{net.api_endpoint()}:{API_PORT}\"\n"
        f"imageRepository: {image_repository(refs)}\n"
        "networking:\n"
        f"  podSubnet: {POD_SUBNET}\n"
        f"  serviceSubnet: {SERVICE_SUBNET}\n"
        "  dnsDomain: cluster.local\n"
        "apiServer:\n"
        # The endpoint's IPv4 address is in the serving certificate already (kubeadm adds it); its IPv6 one too.
        + (f"  certSANs:\n  - \"{net.LOAD_BALANCER.ipv6}\"\n" if ha else "")
        + "  extraArgs:\n" + _arg("kubelet-preferred-address-types", "InternalIP,Hostname")
        # Without a CoreDNS image: no DNS addon and no CoreDNS in the preflight pull list.
        + ("" if with_coredns else "dns:\n  disabled: true\n")
        + _uml_leader_election()
        + "---\n" + kubelet_config() + "---\n" + kube_proxy_config()
    )


def _uml_patches() -> str:
    """The InitConfiguration's ``patches`` on User-Mode Linux nodes (:data:`dslab.uml.PATCHES_DIR`), else nothing."""
    return f"patches:\n  directory: {uml.PATCHES_DIR}\n" if uml.active() else ""


def _uml_leader_election() -> str:
    """The leader-election flags of kube-controller-manager and kube-scheduler on User-Mode Linux nodes."""
    if not uml.active():
        return ""
    args = "".join(_arg(k, v) for k, v in uml.LEADER_ELECTION_ARGS.items())
    return f"controllerManager:\n  extraArgs:\n{args}scheduler:\n  extraArgs:\n{args}"


def kubelet_config() -> str:
    """Return the KubeletConfiguration document."""
    return (
        "apiVersion: kubelet.config.k8s.io/v1beta1\n"
        "kind: KubeletConfiguration\n"
        "cgroupDriver: cgroupfs\n"
        # nspawn nodes see cgroup v1 (the host is hybrid); 1.35+ refuses it otherwise.
        "failCgroupV1: false\n"
        "failSwapOn: false\n"
        # The nodes' filesystem is the host's, shared with everything else on it: the default thresholds are
        # percentages of that disk (imagefs.available<15% evicted every pod of a lab on a host 86% full), so
        # the lab sets absolute ones (every key of the kubelet's default, pkg/kubelet/eviction/defaults_linux.go,
        # which a partial map would drop).
        "evictionHard:\n"
        "  memory.available: 100Mi\n"
        "  nodefs.available: 2Gi\n"
        "  nodefs.inodesFree: 5%\n"
        "  imagefs.available: 2Gi\n"
        "  imagefs.inodesFree: 5%\n"
        "protectKernelDefaults: false\n"
        "resolvConf: /etc/resolv.conf\n"
    )


#: kube-proxy's modes the lab can run (``DUALSTACK_LAB_PROXY_MODE``); IPVS needs a node kernel with IPVS.
PROXY_MODES = ("iptables", "nftables", "ipvs")


def proxy_mode(ip_vs: Path = Path("/proc/net/ip_vs"), own_kernel: bool | None = None) -> str:
    """Return kube-proxy's mode for the lab: ``DUALSTACK_LAB_PROXY_MODE`` (``iptables`` by default).

    nspawn nodes share the host's kernel and cannot load modules, so ``ipvs`` there needs the host kernel's IPVS
    (``/proc/net/ip_vs``); nodes with a kernel of their own (``own_kernel``, default: ``DUALSTACK_LAB_KERNEL=uml``)
    load ip_vs themselves. nftables mode needs nf_tables, which the kube-proxy image's ``nft`` uses.
    """
    mode = os.environ.get("DUALSTACK_LAB_PROXY_MODE", "iptables") or "iptables"
    if mode not in PROXY_MODES:
        raise SystemExit(f"DUALSTACK_LAB_PROXY_MODE={mode!r}: expected one of {', '.join(PROXY_MODES)}")
    if own_kernel is None:
        own_kernel = uml.active()
    if mode == "ipvs" and not own_kernel and not ip_vs.exists():
        raise SystemExit(f"DUALSTACK_LAB_PROXY_MODE=ipvs: this host's kernel has no IPVS ({ip_vs} is missing; "
                         "nspawn nodes share the host kernel and cannot load ip_vs). Boot the nodes with a kernel "
                         f"of their own ({uml.KERNEL_ENV}=uml), use iptables or nftables, "
                         "or a host whose kernel has CONFIG_IP_VS")
    return mode


def kube_proxy_config() -> str:
    """Return the KubeProxyConfiguration document (the mode of :func:`proxy_mode`, no conntrack sizing)."""
    return (
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
        "kind: KubeProxyConfiguration\n"
        f"mode: {proxy_mode()}\n"
        "conntrack:\n"
        # nf_conntrack_max is not writable from a node's network namespace.
        "  maxPerCore: 0\n"
    )


def kubeadm_join_config(n: Node, token: str, ca_hash: str, with_node_ip: bool = True,
                        version: str = "", certificate_key: str = "") -> str:
    """Return the JoinConfiguration for ``n`` (``with_node_ip`` False: no ``--node-ip`` for its kubelet).

    A control plane (HA lab) joins with ``controlPlane``: its own advertise address and the key of the
    certificates cp1 uploaded, so that kubeadm makes it a stacked etcd member and runs the control-plane Pods.
    """
    control_plane = n.role == "control-plane"
    return (
        "apiVersion: kubeadm.k8s.io/v1beta4\n"
        "kind: JoinConfiguration\n"
        "discovery:\n"
        "  bootstrapToken:\n"
        f"    apiServerEndpoint: \"{net.api_endpoint()}:{API_PORT}\"\n"
        f"    token: {token}\n"
        f"    caCertHashes:\n    - {ca_hash}\n"
        + ("controlPlane:\n"
           "  localAPIEndpoint:\n"
           f"    advertiseAddress: {n.ipv4}\n"
           f"    bindPort: {API_PORT}\n"
           f"  certificateKey: {certificate_key}\n" if control_plane else "")
        + "nodeRegistration:\n"
        f"  name: {n.name}\n"
        f"  criSocket: {CRI_SOCKET}\n"
        "  imagePullPolicy: IfNotPresent\n"
        + ("  kubeletExtraArgs:\n" + _arg("node-ip", n.ipv4) if with_node_ip else "")
        + _ignores(version)
    )


def parse_join_command(text: str) -> tuple[str, str]:
    """Return ``(token, ca cert hash)`` from ``kubeadm token create --print-join-command``."""
    token = re.search(r"--token\s+(\S+)", text)
    ca_hash = re.search(r"--discovery-token-ca-cert-hash\s+(\S+)", text)
    if not token or not ca_hash:
        raise ValueError(f"cannot parse join command: {text!r}")
    return token.group(1), ca_hash.group(1)


# --------------------------------------------------------------------------- init / join


def kubeconfig_path() -> Path:
    """Return the host copy of admin.conf."""
    return run_dir() / "admin.conf"


def kubectl_path() -> Path:
    """Return the host's kubectl (from the build helper's binaries)."""
    return run_dir() / "bin" / "kubectl"


def api_ready() -> bool:
    """Tell whether the lab's kube-apiserver answers /readyz."""
    return bool(kubectl("get", "--raw", "/readyz", check=False, timeout=10))


def kubectl(*args: str, check: bool = True, timeout: float = 120,
            input_text: str | None = None) -> str:
    """Run the host's kubectl against the lab; return stdout."""
    argv = [str(kubectl_path()), "--kubeconfig", str(kubeconfig_path()), *args]
    return run(argv, check=check, timeout=timeout, input_text=input_text).stdout


def is_initialised() -> bool:
    """Tell whether cp1 already ran ``kubeadm init``."""
    return (nodes.node_rootfs(net.control_plane()) / "etc/kubernetes/admin.conf").exists()


def has_joined(n: Node) -> bool:
    """Tell whether a worker already ran ``kubeadm join``."""
    return (nodes.node_rootfs(n) / "etc/kubernetes/kubelet.conf").exists()


def reset_partial(n: Node, log_fn: Log = log) -> bool:
    """Undo a failed earlier ``kubeadm init``/``join`` on ``n`` (``kubeadm reset -f``).

    Returns True when something was reset.  A node counts as partial when it
    has kubeadm's files but no usable kubeconfig for its kubelet.
    """
    root = nodes.node_rootfs(n)
    leftovers = [p for p in ("etc/kubernetes/pki/ca.crt", "var/lib/kubelet/config.yaml",
                             "etc/kubernetes/manifests/kube-apiserver.yaml")
                 if (root / p).exists()]
    if not leftovers:
        return False
    log_fn(f"{n.name}: earlier kubeadm run left {', '.join(leftovers)}; kubeadm reset -f")
    nodes.node_run(n, ["kubeadm", "reset", "-f", "--cri-socket", CRI_SOCKET], check=False,
                   timeout=300)
    return True


def certificate_key() -> str:
    """The HA lab's certificate key (64 hex digits, made once with ``kubeadm certs certificate-key``, kept 0600)."""
    path = run_dir() / "certificate-key"
    if not path.exists():
        key = nodes.node_run(net.control_plane(), ["kubeadm", "certs", "certificate-key"]).stdout.strip()
        write_file(path, key + "\n", 0o600)
    return path.read_text().strip()


def kubeadm_init(version: str, refs: dict[str, str], with_coredns: bool,
                 log_fn: Log = log) -> None:
    """Run ``kubeadm init`` on cp1 unless it already ran."""
    cp = net.control_plane()
    cfg = nodes.node_rootfs(cp) / "etc/kubernetes/dslab-kubeadm.yaml"
    write_file(cfg, kubeadm_init_config(version, refs, with_coredns), 0o600)
    if is_initialised():
        return
    reset_partial(cp, log_fn)
    argv = ["kubeadm", "init", "--config", "/etc/kubernetes/dslab-kubeadm.yaml", "--v=1"]
    if net.is_ha():
        argv.append("--upload-certs")
    if not with_coredns:
        argv.append("--skip-phases=addon/coredns")
    t0 = time.monotonic()
    proc = nodes.node_run(cp, argv, check=False, timeout=600)
    (nodes.node_dir(cp) / "kubeadm-init.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stdout, proc.stderr)
    log_fn(f"kubeadm init done in {time.monotonic() - t0:.0f}s")


def export_admin_conf() -> Path:
    """Copy cp1's admin.conf to the run dir (mode 0600)."""
    src = nodes.node_rootfs(net.control_plane()) / "etc/kubernetes/admin.conf"
    dst = kubeconfig_path()
    write_file(dst, src.read_text(), 0o600)
    return dst


def install_host_kubectl(bindir: Path) -> Path:
    """Link the built kubectl into the run dir for the host's use."""
    dst = kubectl_path()
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(bindir / "kubectl", dst)
        except OSError:
            shutil.copy2(bindir / "kubectl", dst)
    return dst


def kubeadm_join(n: Node, log_fn: Log = log, with_node_ip: bool = True) -> None:
    """Run ``kubeadm join`` on a worker unless it already joined (``with_node_ip``: see :func:`kubeadm_join_config`)."""
    if has_joined(n):
        return
    if reset_partial(n, log_fn):
        # kubeadm join refuses a name that a Ready Node already has.
        kubectl("delete", "node", n.name, "--ignore-not-found", "--wait=true", timeout=120)
    cp = net.control_plane()
    out = nodes.node_run(cp, ["kubeadm", "token", "create", "--print-join-command",
                              "--ttl", "1h"]).stdout
    token, ca_hash = parse_join_command(out)
    key = ""
    if n.role == "control-plane":
        # The uploaded certificates expire after 2 h: upload them again (same key) for every control-plane join.
        key = certificate_key()
        # The config carries the key (certificateKey); kubeadm refuses the flag next to --config.
        nodes.node_run(cp, ["kubeadm", "init", "phase", "upload-certs", "--upload-certs",
                            "--config", "/etc/kubernetes/dslab-kubeadm.yaml"], timeout=120)
    cfg = nodes.node_rootfs(n) / "etc/kubernetes/dslab-join.yaml"
    version = nodes.node_run(n, ["kubeadm", "version", "-o", "short"]).stdout.strip()
    write_file(cfg, kubeadm_join_config(n, token, ca_hash, with_node_ip, version, key), 0o600)
    argv = ["kubeadm", "join", "--config", "/etc/kubernetes/dslab-join.yaml", "--v=1"]
    t0 = time.monotonic()
    proc = nodes.node_run(n, argv, check=False, timeout=600)
    (nodes.node_dir(n) / "kubeadm-join.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stdout, proc.stderr)
    log_fn(f"{n.name}: kubeadm join done in {time.monotonic() - t0:.0f}s")


def nodes_ready() -> dict[str, bool]:
    """Return ``{node name: Ready}`` from the API."""
    data = json.loads(kubectl("get", "nodes", "-o", "json", timeout=30))
    result = {}
    for item in data["items"]:
        conds = {c["type"]: c["status"] for c in item["status"].get("conditions", [])}
        result[item["metadata"]["name"]] = conds.get("Ready") == "True"
    return result


def wait_all_ready(timeout: float = 180) -> float:
    """Wait until every lab node is registered and Ready."""
    names = {n.name for n in net.nodes()}

    def ready() -> bool:
        state = nodes_ready()
        return names <= set(state) and all(state[n] for n in names)

    return wait_for("all nodes Ready", ready, timeout, 2)


def wait_coredns(timeout: float = 180) -> None:
    """Wait for the CoreDNS Deployment to be available, when kubeadm deployed it.

    Its first API connections can race kube-proxy's first sync and take one
    client-go dial timeout (~30 s) to recover.
    """
    found = kubectl("-n", "kube-system", "get", "deployment", "coredns", "--ignore-not-found",
                    "-o", "name", timeout=30).strip()
    if found:
        # Connections to the kubernetes ClusterIP opened before kube-proxy's
        # first sync sit in conntrack un-DNATed; drop them so the client's
        # next SYN retransmission goes through the Service rules.
        service_ip = str(ipaddress.ip_network(SERVICE_SUBNET)[1])
        for n in net.nodes():
            nodes.node_run(n, ["conntrack", "-D", "-d", service_ip], check=False, timeout=30)
        kubectl("-n", "kube-system", "rollout", "status", "deployment/coredns",
                f"--timeout={int(timeout)}s", timeout=timeout + 30)


def daemonset_ready(namespace: str, name: str, count: int) -> bool:
    """True when the DaemonSet runs ``count`` ready, updated pods (False while it cannot be read)."""
    out = kubectl("-n", namespace, "get", "daemonset", name, "-o", "json", check=False, timeout=30)
    if not out:
        return False
    status = json.loads(out).get("status", {})
    return status.get("numberReady") == count and status.get("updatedNumberScheduled") == count


def every_node_has(path: str) -> bool:
    """True when ``path`` is a non-empty file on every node, looked at from inside (``/run`` is the node's own)."""
    return all(nodes.node_run(n, ["test", "-s", path], check=False, timeout=10).returncode == 0 for n in net.nodes())
