"""The lab's second deployment style: a hand-installed cluster (systemd units, config files).

``DUALSTACK_LAB_STYLE=units dslab up`` builds the same three nodes, but instead of
``kubeadm init``/``join`` every component runs as a systemd service the way
"Kubernetes the hard way" and the distribution packages install it:

* cp1: ``etcd.service``, ``kube-apiserver.service`` (flags on its ``ExecStart=``
  lines), ``kube-controller-manager.service`` (flags in
  ``KUBE_CONTROLLER_MANAGER_ARGS`` of the environment file
  ``/etc/kubernetes/controller-manager``, the packaged layout),
  ``kube-scheduler.service``;
* every node: ``kubelet.service`` (flags on ``ExecStart=``, settings in
  ``/var/lib/kubelet/config.yaml``) and ``kube-proxy.service`` (settings, with
  ``clusterCIDR``, in ``/var/lib/kube-proxy/config.yaml``).

kubeadm is only used as a certificate tool: its ``certs``, ``kubeconfig``, ``etcd``
and ``control-plane`` phases write the PKI, the kubeconfigs and the manifests whose
command lines become the units' (the manifests are then removed: no static Pods).
Every step is skipped when its result is there, so ``up`` stays restartable.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from dslab import cluster, net, nodes
from dslab.net import Node
from dslab.util import Log, log, wait_for, write_file

STYLES = ("kubeadm", "units")
CONTROL_PLANE_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
KCM_ENV = "/etc/kubernetes/controller-manager"
KCM_VAR = "KUBE_CONTROLLER_MANAGER_ARGS"
KUBELET_KUBECONFIG = "/var/lib/kubelet/kubeconfig"
PROXY_DIR = "/var/lib/kube-proxy"
CONFIG = "/etc/kubernetes/dslab-kubeadm.yaml"


def style() -> str:
    """Return the lab's deployment style: ``DUALSTACK_LAB_STYLE`` (``kubeadm`` by default)."""
    value = os.environ.get("DUALSTACK_LAB_STYLE", "kubeadm") or "kubeadm"
    if value not in STYLES:
        raise SystemExit(f"DUALSTACK_LAB_STYLE={value!r}: expected one of {', '.join(STYLES)}")
    return value


def unit_text(description: str, argv: list[str], after: str = "network-online.target",
              environment_file: str | None = None) -> str:
    """Return a service unit running ``argv`` (one flag per continuation line)."""
    lines = ["[Unit]", f"Description={description}", f"After={after}", f"Wants={after}", "",
             "[Service]"]
    if environment_file:
        lines.append(f"EnvironmentFile={environment_file}")
    lines.append("ExecStart=" + " \\\n  ".join(argv))
    lines += ["Restart=always", "RestartSec=5", "LimitNOFILE=65536", "", "[Install]",
              "WantedBy=multi-user.target", ""]
    return "\n".join(lines)


def manifest_command(path: Path) -> list[str]:
    """Return the command line of a static Pod manifest's first container."""
    pod = yaml.safe_load(path.read_text())
    container = pod["spec"]["containers"][0]
    return list(container.get("command", [])) + list(container.get("args", []))


def kubelet_unit(n: Node) -> str:
    """Return the hand-installed kubelet unit (flags on ExecStart=)."""
    return unit_text("Kubernetes Kubelet", [
        "/usr/local/bin/kubelet",
        "--config=/var/lib/kubelet/config.yaml",
        f"--kubeconfig={KUBELET_KUBECONFIG}",
        f"--hostname-override={n.name}",
        f"--node-ip={n.ipv4}",
        # As kubeadm registers a control plane: no ordinary workload there.
        *(["--register-with-taints=node-role.kubernetes.io/control-plane:NoSchedule"] if n.role == "control-plane" else []),
        "--v=2",
    ], after="containerd.service dslab-cgroup-rw.service")


def kubelet_config() -> str:
    """Return the KubeletConfiguration of a hand-installed node (x509 + webhook auth, no static Pods)."""
    return cluster.kubelet_config() + (
        f"containerRuntimeEndpoint: {cluster.CRI_SOCKET}\n"
        "authentication:\n"
        "  anonymous:\n    enabled: false\n"
        "  webhook:\n    enabled: true\n"
        "  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\n"
        "authorization:\n  mode: Webhook\n"
        "clusterDomain: cluster.local\n"
        "clusterDNS:\n- 10.96.0.10\n"
    )


def kube_proxy_config(n: Node) -> str:
    """Return the KubeProxyConfiguration file of a hand-installed node."""
    return cluster.kube_proxy_config() + (
        f"clientConnection:\n  kubeconfig: {PROXY_DIR}/kubeconfig\n"
        f"clusterCIDR: {cluster.POD_SUBNET}\n"
        f"hostnameOverride: {n.name}\n"
    )


def install_node_files(n: Node, bindir: Path) -> bool:
    """Put the hand-installed kubelet and kube-proxy (and, on cp1, the control plane binaries) in place."""
    root = nodes.node_rootfs(n)
    changed = False
    names = ("kube-proxy",) + (CONTROL_PLANE_BINARIES if n.role == "control-plane" else ())
    for name in names:
        changed |= cluster.install_binary(bindir / name, root / "usr/local/bin" / name)
    (root / "etc/systemd/system/kubelet.service.d/10-kubeadm.conf").unlink(missing_ok=True)
    changed |= write_file(root / "etc/systemd/system/kubelet.service", kubelet_unit(n))
    changed |= write_file(root / "var/lib/kubelet/config.yaml", kubelet_config())
    changed |= write_file(root / PROXY_DIR.lstrip("/") / "config.yaml", kube_proxy_config(n))
    changed |= write_file(root / "etc/systemd/system/kube-proxy.service", unit_text(
        "Kubernetes Kube Proxy", ["/usr/local/bin/kube-proxy", f"--config={PROXY_DIR}/config.yaml"]))
    return changed


def _kubeadm(cp: Node, *args: str) -> str:
    return nodes.node_run(cp, ["kubeadm", *args, "--config", CONFIG], timeout=300).stdout


def control_plane(version: str, refs: dict[str, str], log_fn: Log = log) -> None:
    """PKI, kubeconfigs and the control-plane units on cp1; started and waited for."""
    cp = net.control_plane()
    root = nodes.node_rootfs(cp)
    write_file(root / CONFIG.lstrip("/"), cluster.kubeadm_init_config(version, refs, False), 0o600)
    if not (root / "etc/kubernetes/pki/ca.crt").exists():
        _kubeadm(cp, "init", "phase", "certs", "all")
    for kind in ("super-admin", "controller-manager", "scheduler", "kubelet"):
        if not (root / f"etc/kubernetes/{kind}.conf").exists():
            _kubeadm(cp, "init", "phase", "kubeconfig", kind)
    # A hand-installed cluster's admin credentials: system:masters (kubeadm's admin.conf relies on a
    # ClusterRoleBinding that only `kubeadm init` creates).
    write_file(root / "etc/kubernetes/admin.conf", (root / "etc/kubernetes/super-admin.conf").read_text(), 0o600)
    kubelet_conf = root / KUBELET_KUBECONFIG.lstrip("/")
    if not kubelet_conf.exists():
        write_file(kubelet_conf, (root / "etc/kubernetes/kubelet.conf").read_text(), 0o600)
    manifests = root / "etc/kubernetes/manifests"
    units = root / "etc/systemd/system"
    if not (units / "kube-apiserver.service").exists():
        _kubeadm(cp, "init", "phase", "etcd", "local")
        _kubeadm(cp, "init", "phase", "control-plane", "all")
        commands = {name: manifest_command(manifests / f"{name}.yaml")
                    for name in ("etcd",) + CONTROL_PLANE_BINARIES[1:]}
        for name, argv in commands.items():
            argv[0] = "/usr/local/bin/" + name
        write_file(units / "etcd.service", unit_text("etcd", commands["etcd"]))
        write_file(root / KCM_ENV.lstrip("/"),
                   f'{KCM_VAR}="' + " ".join(commands["kube-controller-manager"][1:]) + '"\n')
        write_file(units / "kube-controller-manager.service", unit_text(
            "Kubernetes Controller Manager", [commands["kube-controller-manager"][0], f"${KCM_VAR}"],
            after="kube-apiserver.service", environment_file=KCM_ENV))
        write_file(units / "kube-scheduler.service", unit_text(
            "Kubernetes Scheduler", commands["kube-scheduler"], after="kube-apiserver.service"))
        write_file(units / "kube-apiserver.service", unit_text(
            "Kubernetes API Server", commands["kube-apiserver"], after="etcd.service"))
    for manifest in manifests.glob("*.yaml"):
        manifest.unlink()
    nodes.node_run(cp, ["systemctl", "daemon-reload"])
    nodes.node_run(cp, ["systemctl", "enable", "--now", "etcd.service", "kube-apiserver.service",
                        "kube-controller-manager.service", "kube-scheduler.service"])
    cluster.export_admin_conf()
    wait_for("API server", cluster.api_ready, 180, 1)
    # kube-apiserver reaches kubelets (exec, logs) with the apiserver-kubelet-client certificate;
    # kubeadm grants it through a binding `kubeadm init` makes, a hand-installed cluster binds its user.
    name = "dslab:apiserver-kubelet"
    if not cluster.kubectl("get", "clusterrolebinding", name, "--ignore-not-found", "-o", "name").strip():
        cluster.kubectl("create", "clusterrolebinding", name, "--clusterrole=system:kubelet-api-admin",
                        "--user=kube-apiserver-kubelet-client")
    log_fn("control plane running as systemd units on " + cp.name)


def start_node(n: Node, log_fn: Log = log) -> None:
    """Give a node its credentials and start its kubelet and kube-proxy units."""
    cp = net.control_plane()
    cp_root, root = nodes.node_rootfs(cp), nodes.node_rootfs(n)
    write_file(root / "etc/kubernetes/pki/ca.crt", (cp_root / "etc/kubernetes/pki/ca.crt").read_text())
    wanted = {KUBELET_KUBECONFIG: ("system:node:" + n.name, "system:nodes"),
              f"{PROXY_DIR}/kubeconfig": ("system:kube-proxy", None)}
    for path, (user, org) in wanted.items():
        target = root / path.lstrip("/")
        if not target.exists():
            args = ["kubeconfig", "user", "--client-name", user] + (["--org", org] if org else [])
            write_file(target, _kubeadm(cp, *args), 0o600)
    nodes.node_run(n, ["systemctl", "daemon-reload"])
    nodes.node_run(n, ["systemctl", "enable", "--now", "kubelet.service", "kube-proxy.service"])
    log_fn(f"{n.name}: kubelet and kube-proxy running as systemd units")


def label_control_plane() -> None:
    """Label cp1 as kubeadm would (a kubelet may not set node-role labels on itself)."""
    cluster.kubectl("label", "node", net.control_plane().name, "node-role.kubernetes.io/control-plane=",
                    "--overwrite")
