"""Pod network (lab component, not part of the collection).

containerd's CRI ``conf_template`` renders the first CNI config as soon as
the kubelet reports the node's pod CIDRs.  The ``dslab-podnet`` agent
(:mod:`dslab.podnet_agent`, a systemd unit in every node) then keeps that
config, the cross-node pod routes, forwarding and IPv4 masquerade in line
with the Node objects -- including a second family added later.  The agent
reads Nodes with a dedicated ServiceAccount bound to a ClusterRole that can
only get/list/watch nodes.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any, Iterable

from dslab import cluster, net, nodes
from dslab.net import Node
from dslab.util import Log, log, wait_for, write_file

#: ``DUALSTACK_LAB_CNI``: ``bridge`` (this module's agent, the default) or ``flannel`` (the real
#: one, :mod:`dslab.flannel`).
POD_NETWORKS = ("bridge", "flannel", "calico")

AGENT_PATH = "usr/local/lib/dslab/podnet-agent.py"
CONF_DIR = "etc/dslab/podnet"
NAMESPACE = "kube-system"
NAME = "dslab-podnet"

AGENT_UNIT = """\
[Unit]
Description=dslab pod network agent (CNI config, pod routes, masquerade)
After=network-online.target containerd.service
Wants=network-online.target

[Service]
ExecStart=/usr/bin/python3 /usr/local/lib/dslab/podnet-agent.py
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
"""

RBAC = f"""\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {NAME}
  namespace: {NAMESPACE}
---
apiVersion: v1
kind: Secret
metadata:
  name: {NAME}-token
  namespace: {NAMESPACE}
  annotations:
    kubernetes.io/service-account.name: {NAME}
type: kubernetes.io/service-account-token
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {NAME}
rules:
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {NAME}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {NAME}
subjects:
- kind: ServiceAccount
  name: {NAME}
  namespace: {NAMESPACE}
"""


def selected() -> str:
    """Return the lab's pod network: ``DUALSTACK_LAB_CNI`` (``bridge`` by default)."""
    value = os.environ.get("DUALSTACK_LAB_CNI", "bridge") or "bridge"
    if value not in POD_NETWORKS:
        raise SystemExit(f"DUALSTACK_LAB_CNI={value!r}: expected one of {', '.join(POD_NETWORKS)}")
    return value


def install_agent(n: Node) -> bool:
    """Put the agent and its unit into the node's rootfs; True if changed."""
    root = nodes.node_rootfs(n)
    src = Path(__file__).with_name("podnet_agent.py").read_text()
    changed = write_file(root / AGENT_PATH, src, 0o755)
    changed |= write_file(root / "etc/systemd/system/dslab-podnet.service", AGENT_UNIT)
    link = root / "etc/systemd/system/multi-user.target.wants/dslab-podnet.service"
    if not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to("/etc/systemd/system/dslab-podnet.service")
        changed = True
    return changed


def ensure_credentials(log_fn: Log = log) -> dict[str, str]:
    """Create the agent's RBAC and return ``{server, token, ca.crt}``."""
    cluster.kubectl("apply", "-f", "-", input_text=RBAC)
    secret: dict[str, Any] = {}

    def token_ready() -> bool:
        nonlocal secret
        secret = json.loads(cluster.kubectl("-n", NAMESPACE, "get", "secret",
                                            f"{NAME}-token", "-o", "json") or "{}")  # empty: a busy apiserver
        return bool(secret.get("data", {}).get("token"))

    # kube-controller-manager's token controller fills the Secret once it has started and synced: within seconds
    # on nspawn nodes, 60 s and more on a User-Mode Linux control plane right after `kubeadm init` (one CPU).
    wait_for("podnet token (filled by kube-controller-manager's token controller)", token_ready, 300, 1)
    log_fn(f"pod network agent credentials: ServiceAccount {NAMESPACE}/{NAME}")
    data = secret["data"]
    return {
        "server": f"https://{net.api_endpoint()}:{cluster.API_PORT}",
        "token": base64.b64decode(data["token"]).decode(),
        "ca.crt": base64.b64decode(data["ca.crt"]).decode(),
    }


def distribute_credentials(creds: dict[str, str], targets: Iterable[Node] | None = None) -> None:
    """Write the agent's credentials into every node, or into ``targets`` (mode 0600)."""
    for n in (net.nodes() if targets is None else targets):
        conf = nodes.node_rootfs(n) / CONF_DIR
        for name, value in creds.items():
            write_file(conf / name, value + ("\n" if not value.endswith("\n") else ""), 0o600)


def wait_routes(timeout: float = 60) -> float:
    """Wait until every node has routes to every other node's pod CIDRs."""
    def complete() -> bool:
        data = json.loads(cluster.kubectl("get", "nodes", "-o", "json", timeout=30))
        want = sum(len(i["spec"].get("podCIDRs", [])) for i in data["items"])
        for n in net.nodes():
            mine = next((i for i in data["items"] if i["metadata"]["name"] == n.name), None)
            own = len(mine["spec"].get("podCIDRs", [])) if mine else 0
            got = nodes.node_run(n, ["ip", "route", "show", "proto", "177"]).stdout
            got6 = nodes.node_run(n, ["ip", "-6", "route", "show", "proto", "177"]).stdout
            if len((got + got6).strip().splitlines()) < want - own:
                return False
        return True

    t0 = time.monotonic()
    wait_for("pod routes", complete, timeout, 1)
    return time.monotonic() - t0
