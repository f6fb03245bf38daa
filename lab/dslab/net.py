"""Lab topology and host-side networking.

One host bridge ``dslab0`` carries 192.168.77.0/24 (host .1) and the ULA
fd00:77::/64 (host ::1).  Every node has its own network namespace (named
after the node, so ``ip netns exec dslab-cp1 ...`` works) with a veth whose
node end is ``eth0`` carrying both families, and default routes via the
host in both families.  The cluster itself starts single-stack IPv4; the
IPv6 addresses are there for the conversion.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from dslab.util import CommandError, run, run_dir

BRIDGE = "dslab0"
HOST_V4 = "192.168.77.1"
HOST_V6 = "fd00:77::1"
PREFIX_V4 = 24
PREFIX_V6 = 64
NETNS_DIR = Path("/run/netns")


@dataclass(frozen=True)
class Node:
    """One lab node: its name, role and link addresses."""

    name: str
    role: str  # "control-plane" or "worker"
    ipv4: str
    ipv6: str

    @property
    def veth_host(self) -> str:
        """Host end of the node's veth (15 chars max)."""
        return "ve-" + self.name.removeprefix("dslab-")

    @property
    def netns(self) -> str:
        """Name of the node's network namespace."""
        return self.name


#: The control plane ``kubeadm init`` runs on (every lab has it).
FIRST_CONTROL_PLANE = Node("dslab-cp1", "control-plane", "192.168.77.11", "fd00:77::11")
#: The control planes an HA lab (``DUALSTACK_LAB_CONTROL_PLANES=3``) adds with ``kubeadm join --control-plane``.
MORE_CONTROL_PLANES: tuple[Node, ...] = (
    Node("dslab-cp2", "control-plane", "192.168.77.12", "fd00:77::12"),
    Node("dslab-cp3", "control-plane", "192.168.77.13", "fd00:77::13"),
)
WORKERS: tuple[Node, ...] = (
    Node("dslab-w1", "worker", "192.168.77.21", "fd00:77::21"),
    Node("dslab-w2", "worker", "192.168.77.22", "fd00:77::22"),
)
#: The HA lab's load balancer: a network namespace of its own on the bridge (no node, no systemd), running
#: Debian's HAProxy in front of every kube-apiserver (``dslab.lb``); ``controlPlaneEndpoint`` is its address.
LOAD_BALANCER = Node("dslab-lb", "load-balancer", "192.168.77.10", "fd00:77::10")

#: How many control planes ``up`` builds: 1 (default) or 3 (HA, behind :data:`LOAD_BALANCER`).
CONTROL_PLANES_ENV = "DUALSTACK_LAB_CONTROL_PLANES"
CONTROL_PLANE_COUNTS = (1, 3)


#: Nodes that are not part of ``up``: ``dslab join NAME`` boots one and runs a plain ``kubeadm join``
#: (one ``--node-ip``) after the cluster was converted; ``dslab remove NAME`` takes it out again.
LATE_NODES: tuple[Node, ...] = (
    Node("dslab-w3", "worker", "192.168.77.23", "fd00:77::23"),
)
#: Every node a lab of any shape may run (what ``down`` and ``leftovers`` look for).
ALL_NODES: tuple[Node, ...] = (FIRST_CONTROL_PLANE, *MORE_CONTROL_PLANES, *WORKERS, *LATE_NODES)
#: Every network namespace (and host veth) the lab may create: the nodes' and the load balancer's.
ALL_NETNS: tuple[Node, ...] = ALL_NODES + (LOAD_BALANCER,)


def control_plane_count() -> int:
    """The lab's control-plane count: the running lab's record (``<run>/control-planes``), else the environment.

    Raises SystemExit naming the variable when the value is not one of :data:`CONTROL_PLANE_COUNTS`.
    """
    record = run_dir() / "control-planes"
    raw = record.read_text().strip() if record.exists() else os.environ.get(CONTROL_PLANES_ENV, "1").strip() or "1"
    if not raw.isdigit() or int(raw) not in CONTROL_PLANE_COUNTS:
        raise SystemExit(f"{CONTROL_PLANES_ENV}={raw!r}: the lab runs 1 control plane or 3 (HA behind a load balancer)")
    return int(raw)


def is_ha() -> bool:
    """True when the lab runs three control planes behind :data:`LOAD_BALANCER`."""
    return control_plane_count() > 1


def control_planes() -> list[Node]:
    """The lab's control planes, the ``kubeadm init`` one first."""
    return [FIRST_CONTROL_PLANE, *MORE_CONTROL_PLANES[:control_plane_count() - 1]]


def nodes() -> tuple[Node, ...]:
    """The nodes ``up`` builds: the control planes, then the workers."""
    return (*control_planes(), *WORKERS)


def api_endpoint() -> str:
    """The IPv4 address of ``controlPlaneEndpoint``: the load balancer on an HA lab, else cp1."""
    return LOAD_BALANCER.ipv4 if is_ha() else FIRST_CONTROL_PLANE.ipv4


def node(name: str) -> Node:
    """Return the node called ``name`` (raise KeyError if unknown)."""
    for n in ALL_NODES:
        if n.name == name or n.name == "dslab-" + name:
            return n
    raise KeyError(f"unknown node {name!r}; known: {', '.join(n.name for n in ALL_NODES)}")


def late_node(name: str) -> Node:
    """Return the late node called ``name`` (raise KeyError naming the late nodes otherwise)."""
    n = node(name)
    if n not in LATE_NODES:
        raise KeyError(f"{n.name} is brought up by `dslab up`; late nodes: {', '.join(x.name for x in LATE_NODES)}")
    return n


def control_plane() -> Node:
    """Return the control plane ``kubeadm init`` runs on (cp1)."""
    return FIRST_CONTROL_PLANE


def workers() -> list[Node]:
    """Return the worker nodes."""
    return list(WORKERS)


def link_exists(name: str, netns: str | None = None) -> bool:
    """Tell whether a network link exists (in ``netns`` when given)."""
    argv = ["ip"] + (["-n", netns] if netns else []) + ["link", "show", "dev", name]
    return run(argv, check=False).returncode == 0


def addresses(name: str, netns: str | None = None) -> set[str]:
    """Return ``{"addr/prefix", ...}`` configured on a link."""
    argv = ["ip", "-j"] + (["-n", netns] if netns else []) + ["addr", "show", "dev", name]
    out = run(argv).stdout
    result: set[str] = set()
    for link in json.loads(out or "[]"):
        for a in link.get("addr_info", []):
            result.add(f"{a['local']}/{a['prefixlen']}")
    return result


def ensure_bridge() -> None:
    """Create ``dslab0`` with both host addresses (idempotent)."""
    if not link_exists(BRIDGE):
        run(["ip", "link", "add", BRIDGE, "type", "bridge"])
    # No DAD on a lab-only link: addresses are usable at once.
    _sysctl_write(f"net/ipv6/conf/{BRIDGE}/accept_dad", "0")
    _sysctl_write(f"net/ipv6/conf/{BRIDGE}/disable_ipv6", "0")
    have = addresses(BRIDGE)
    for addr in (f"{HOST_V4}/{PREFIX_V4}", f"{HOST_V6}/{PREFIX_V6}"):
        if addr not in have:
            run(["ip", "addr", "add", addr, "dev", BRIDGE, "nodad"] if ":" in addr
                else ["ip", "addr", "add", addr, "dev", BRIDGE])
    run(["ip", "link", "set", BRIDGE, "up"])


#: A node shaped like many real ones (kubeadm style, bridge lab): its kubelet runs without
#: ``--node-ip`` (kubeadm joins it without one; the kubelet picks its InternalIP from its name), it has a
#: second interface (a veth whose peer stays inside the node) holding an address of each family (a storage or backup network), and its node
#: interface carries an RFC 4941 temporary IPv6 address next to the node's own. Preflight must keep the
#: InternalIP and pick fd00:77::22: the temporary one has a finite lifetime, the second interface is
#: neither the InternalIP's nor the default route's.
SHAPED_NODE = "dslab-w2"
SECOND_INTERFACE = "eth1"
SECOND_PEER = "eth1-peer"
SECOND_ADDRESSES = ("10.9.0.22/24", "fd09::22/64")


def link_commands(n: Node, shaped: bool = False) -> list[list[str]]:
    """The node-side commands (``ip``, ``sysctl``) that address the node's links and route via the host.

    Idempotent (``replace``), so that both kernels run the same list: an nspawn node's netns from the host
    (``ip netns exec``), a User-Mode Linux node inside its own kernel at boot (``dslab.uml``). ``shaped``: give
    :data:`SHAPED_NODE` its temporary IPv6 address and its second interface's addresses (the interface itself is
    made by the caller: ``ip link add`` is not idempotent).
    """
    shape = shaped and n.name == SHAPED_NODE
    cmds = [["sysctl", "-q", "-w", "net.ipv6.conf.eth0.accept_dad=0", "net.ipv6.conf.eth0.disable_ipv6=0"]]
    if shape:
        # use_tempaddr=1: temporary addresses are made (from addresses flagged mngtmpaddr) but not
        # preferred as source, so the node's own address stays its default-route source.
        cmds.append(["sysctl", "-q", "-w", "net.ipv6.conf.eth0.use_tempaddr=1"])
    cmds += [
        ["ip", "addr", "replace", f"{n.ipv4}/{PREFIX_V4}", "dev", "eth0"],
        ["ip", "addr", "replace", f"{n.ipv6}/{PREFIX_V6}", "dev", "eth0", "nodad"] + (["mngtmpaddr"] if shape else []),
        ["ip", "link", "set", "eth0", "up"],
        ["ip", "-4", "route", "replace", "default", "via", HOST_V4, "dev", "eth0"],
        ["ip", "-6", "route", "replace", "default", "via", HOST_V6, "dev", "eth0"],
    ]
    if shape:
        cmds += [
            ["ip", "link", "set", SECOND_PEER, "up"],
            ["sysctl", "-q", "-w", f"net.ipv6.conf.{SECOND_INTERFACE}.accept_dad=0",
             f"net.ipv6.conf.{SECOND_INTERFACE}.disable_ipv6=0"],
            *(["ip", "addr", "replace", addr, "dev", SECOND_INTERFACE] for addr in SECOND_ADDRESSES),
            ["ip", "link", "set", SECOND_INTERFACE, "up"],
        ]
    return cmds


#: The command that makes :data:`SHAPED_NODE`'s second interface: a veth pair inside the node (the host kernel
#: may lack the dummy module), so that eth1 has a carrier.
SECOND_LINK_ADD = ["ip", "link", "add", SECOND_INTERFACE, "type", "veth", "peer", "name", SECOND_PEER]


#: ``ethtool -K`` arguments turning off what a raw-socket reader of a veth cannot take (``bare`` netns).
NO_OFFLOADS = ("tx", "off", "tso", "off", "gso", "off")


def ensure_node_netns(n: Node, shaped: bool = False, bare: bool = False) -> None:
    """Create the node's netns and veth, address it and route via the host.

    ``shaped``: give :data:`SHAPED_NODE` its second interface and temporary IPv6 address (:func:`link_commands`).
    ``bare``: leave the netns's ``eth0`` without addresses (no IPv6 either): a User-Mode Linux node's kernel
    sends and receives its frames on it and addresses its own ``eth0`` (``dslab.uml``).
    """
    if not (NETNS_DIR / n.netns).exists():
        run(["ip", "netns", "add", n.netns])
    if not link_exists("eth0", n.netns):
        if link_exists(n.veth_host):
            run(["ip", "link", "del", n.veth_host])
        run(["ip", "link", "add", n.veth_host, "type", "veth", "peer", "name", "eth0",
             "netns", n.netns])
    run(["ip", "link", "set", n.veth_host, "master", BRIDGE, "up"])
    ns = ["ip", "-n", n.netns]
    run(ns + ["link", "set", "lo", "up"])
    if bare:
        run(["ip", "netns", "exec", n.netns, "sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=1"])
        # The kernel reading eth0's frames gets them as sent: no checksum left to it, no 64 KiB TSO/GSO frames
        # (with them, an ssh stream into the node stalled for good after 2.5 MB).
        for argv in (["ethtool", "-K", n.veth_host], ["ip", "netns", "exec", n.netns, "ethtool", "-K", "eth0"]):
            run([*argv, *NO_OFFLOADS])
        run(ns + ["link", "set", "eth0", "up"])
        return
    if shaped and n.name == SHAPED_NODE and not link_exists(SECOND_INTERFACE, n.netns):
        run(ns + SECOND_LINK_ADD[1:])
    for argv in link_commands(n, shaped):
        run(["ip", "netns", "exec", n.netns, *argv])


def remove_node_netns(n: Node) -> None:
    """Delete the node's veth and network namespace (idempotent)."""
    if link_exists(n.veth_host):
        run(["ip", "link", "del", n.veth_host], check=False)
    if (NETNS_DIR / n.netns).exists():
        try:
            run(["ip", "netns", "del", n.netns])
        except CommandError:
            # A stale mount point whose namespace is already gone.
            run(["umount", "-l", str(NETNS_DIR / n.netns)], check=False)
            (NETNS_DIR / n.netns).unlink(missing_ok=True)


def remove_bridge() -> None:
    """Delete ``dslab0`` (idempotent)."""
    if link_exists(BRIDGE):
        run(["ip", "link", "del", BRIDGE])


def lab_links() -> list[str]:
    """Return host links that belong to the lab (bridge and node veths)."""
    out = run(["ip", "-j", "link", "show"]).stdout
    names = [link["ifname"] for link in json.loads(out or "[]")]
    ours = {BRIDGE} | {n.veth_host for n in ALL_NETNS}
    return sorted(name for name in names if name in ours)


def lab_netns() -> list[str]:
    """Return lab network namespaces that still exist under /run/netns."""
    ours = {n.netns for n in ALL_NETNS}
    if not NETNS_DIR.exists():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name in ours)


def _sysctl_write(key: str, value: str) -> None:
    """Write a host sysctl given as a /proc/sys relative path."""
    path = Path("/proc/sys") / key
    if path.exists():
        path.write_text(value)
