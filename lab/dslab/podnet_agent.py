#!/usr/bin/python3
"""dslab pod-network agent: runs inside every lab node (systemd unit dslab-podnet).

Every few seconds it reads all Node objects from the API and makes this node
match them, kubenet/kindnet-style:

* the CNI config (bridge ``cni0`` + host-local IPAM) covers this node's
  ``spec.podCIDRs`` -- one range per family, so a node that gains an IPv6
  podCIDR gets dual-stack pods without a manual step;
* a route to every other node's pod CIDRs, per family, via that node's
  InternalIP of the same family (routes carry ``proto 177`` so stale ones
  can be found and removed);
* IPv4/IPv6 forwarding when the node has a podCIDR of that family;
* IPv4 masquerade for pod traffic leaving the cluster's pod ranges (IPv6
  egress is left to the collection).

Standard library only; the node image has python3.  Credentials are a
read-only ServiceAccount token (nodes get/list) in ``/etc/dslab/podnet``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

CONF_DIR = Path("/etc/dslab/podnet")
CNI_CONF = Path("/etc/cni/net.d/10-containerd-net.conflist")
ROUTE_PROTO = "177"
MASQ_CHAIN = "DSLAB-POD-MASQ"
INTERVAL = float(os.environ.get("DSLAB_PODNET_INTERVAL", "3"))


def family(cidr: str) -> int:
    """Return 4 or 6 for an address or CIDR."""
    return ipaddress.ip_network(cidr, strict=False).version


def default_route(cidr: str) -> str:
    """Return the default route of the CIDR's family."""
    return "0.0.0.0/0" if family(cidr) == 4 else "::/0"


def render_conflist(cidrs: list[str]) -> dict[str, Any]:
    """Return the CNI conflist for the node's pod CIDRs ``cidrs``.

    The same document containerd renders from the lab's ``conf_template``
    (``.PodCIDRRanges`` and ``.Routes``), so both writers agree.
    """
    return {
        "cniVersion": "1.0.0",
        "name": "dslab",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": c}] for c in cidrs],
                    "routes": [{"dst": default_route(c)} for c in cidrs],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def pod_cidrs(node: dict[str, Any]) -> list[str]:
    """Return a Node's pod CIDRs (``spec.podCIDRs``, else ``spec.podCIDR``)."""
    spec = node.get("spec", {})
    cidrs = spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
    return [str(c) for c in cidrs]


def internal_ips(node: dict[str, Any]) -> list[str]:
    """Return a Node's InternalIP addresses."""
    return [a["address"] for a in node.get("status", {}).get("addresses", [])
            if a.get("type") == "InternalIP"]


def desired_routes(nodes: list[dict[str, Any]], me: str) -> dict[str, str]:
    """Return ``{pod CIDR: next hop}`` for every other node's pod CIDRs.

    The next hop is the other node's InternalIP of the CIDR's family; a CIDR
    whose family the other node has no InternalIP for is left out.
    """
    routes: dict[str, str] = {}
    for node in nodes:
        if node["metadata"]["name"] == me:
            continue
        ips = internal_ips(node)
        for cidr in pod_cidrs(node):
            via = next((ip for ip in ips if family(ip) == family(cidr)), None)
            if via is not None:
                routes[str(ipaddress.ip_network(cidr))] = via
    return routes


def masq_rules(nodes: list[dict[str, Any]], me: str) -> list[str]:
    """Return the ``-A`` lines of the IPv4 masquerade chain for this node.

    Traffic from this node's IPv4 pod range to any node's IPv4 pod range
    keeps its source; everything else from the pod range is masqueraded.
    """
    mine = next((n for n in nodes if n["metadata"]["name"] == me), None)
    if mine is None:
        return []
    own_v4 = [c for c in pod_cidrs(mine) if family(c) == 4]
    if not own_v4:
        return []
    all_v4 = sorted({str(ipaddress.ip_network(c)) for n in nodes for c in pod_cidrs(n)
                     if family(c) == 4})
    lines = [f"-A {MASQ_CHAIN} -d {c} -j RETURN" for c in all_v4]
    lines += [f"-A {MASQ_CHAIN} -s {str(ipaddress.ip_network(c))} -j MASQUERADE" for c in own_v4]
    return lines


# --------------------------------------------------------------------------- side effects


def sh(*argv: str, check: bool = True) -> str:
    """Run a command, return stdout."""
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {proc.stderr.strip()}")
    return proc.stdout


def say(msg: str) -> None:
    """Log to the journal (stdout of the unit)."""
    print(msg, flush=True)


def fetch_nodes() -> list[dict[str, Any]]:
    """GET /api/v1/nodes with the agent's token."""
    server = (CONF_DIR / "server").read_text().strip()
    token = (CONF_DIR / "token").read_text().strip()
    ctx = ssl.create_default_context(cafile=str(CONF_DIR / "ca.crt"))
    req = urllib.request.Request(f"{server}/api/v1/nodes",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        return list(json.load(resp)["items"])


def sync_conflist(cidrs: list[str]) -> None:
    """Write the CNI config when it does not match ``cidrs``."""
    want = render_conflist(cidrs)
    try:
        have = json.loads(CNI_CONF.read_text())
    except (OSError, ValueError):
        have = None
    if have == want:
        return
    CNI_CONF.parent.mkdir(parents=True, exist_ok=True)
    tmp = CNI_CONF.with_name(".dslab-podnet.tmp")
    tmp.write_text(json.dumps(want, indent=2) + "\n")
    os.replace(tmp, CNI_CONF)
    say(f"CNI config now covers {', '.join(cidrs)}")


def write_sysctl(key: str, value: str) -> None:
    """Set a (per network namespace) sysctl if it differs."""
    path = Path("/proc/sys") / key.replace(".", "/")
    if path.read_text().strip() != value:
        path.write_text(value)
        say(f"sysctl {key}={value}")


def sync_routes(want: dict[str, str]) -> None:
    """Make the ``proto 177`` routes equal ``want``."""
    have: dict[str, str] = {}
    for fam in ("-4", "-6"):
        for r in json.loads(sh("ip", "-j", fam, "route", "show", "proto", ROUTE_PROTO) or "[]"):
            dst = r.get("dst", "")
            if "/" not in dst:
                dst += "/32" if fam == "-4" else "/128"
            have[dst] = r.get("gateway", "")
    for dst, via in want.items():
        if have.get(dst) != via:
            fam = "-4" if family(dst) == 4 else "-6"
            sh("ip", fam, "route", "replace", dst, "via", via, "proto", ROUTE_PROTO)
            say(f"route {dst} via {via}")
    for dst in set(have) - set(want):
        fam = "-4" if family(dst) == 4 else "-6"
        sh("ip", fam, "route", "del", dst, "proto", ROUTE_PROTO, check=False)
        say(f"route {dst} removed")


def sync_masquerade(lines: list[str]) -> None:
    """Make the IPv4 masquerade chain hold exactly ``lines``."""
    if sh("iptables", "-w", "-t", "nat", "-S", MASQ_CHAIN, check=False) == "":
        sh("iptables", "-w", "-t", "nat", "-N", MASQ_CHAIN)
    jump = ["POSTROUTING", "-m", "comment", "--comment", "dslab pod egress", "-j", MASQ_CHAIN]
    if subprocess.run(["iptables", "-w", "-t", "nat", "-C", *jump],
                      capture_output=True, check=False).returncode != 0:
        sh("iptables", "-w", "-t", "nat", "-A", *jump)
    have = [ln for ln in sh("iptables", "-w", "-t", "nat", "-S", MASQ_CHAIN).splitlines()
            if ln.startswith("-A ")]
    if have == lines:
        return
    sh("iptables", "-w", "-t", "nat", "-F", MASQ_CHAIN)
    for ln in lines:
        sh("iptables", "-w", "-t", "nat", *ln.split())
    say(f"masquerade chain: {len(lines)} rules")


def sync_once(me: str) -> None:
    """One reconciliation pass."""
    nodes = fetch_nodes()
    mine = next((n for n in nodes if n["metadata"]["name"] == me), None)
    if mine is None:
        return
    cidrs = pod_cidrs(mine)
    fams = {family(c) for c in cidrs}
    if 4 in fams:
        write_sysctl("net.ipv4.ip_forward", "1")
    if 6 in fams:
        write_sysctl("net.ipv6.conf.all.forwarding", "1")
    if cidrs:
        sync_conflist(cidrs)
    sync_routes(desired_routes(nodes, me))
    sync_masquerade(masq_rules(nodes, me))


def main() -> int:
    """Loop forever; never die on a transient error."""
    me = socket.gethostname()
    say(f"dslab-podnet for {me}, every {INTERVAL:g}s")
    last_err = ""
    while True:
        try:
            if (CONF_DIR / "token").exists():
                sync_once(me)
            last_err = ""
        except Exception as exc:  # noqa: BLE001 - keep the agent alive
            if str(exc) != last_err:
                say(f"sync failed: {exc}")
                last_err = str(exc)
        time.sleep(INTERVAL)


if __name__ == "__main__":
    sys.exit(main())
