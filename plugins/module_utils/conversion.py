# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Rules that compare the running cluster with the dual-stack target, and node address detection.

These need what preflight reads from the hosts (current flags, ``ip -j addr``); the
target-only rules live in :mod:`plan` and :mod:`cidrs`.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import (
    dualstack_cidrs,
    family_name,
    parse_cidr,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: Interfaces that carry pod, tunnel or proxy addresses, never a node's own address.
VIRTUAL_PREFIXES = ("lo", "cni", "cali", "flannel", "veth", "vxlan", "tunl", "kube-ipvs", "docker", "cilium", "weave", "nodelocaldns")


def check_keeps_current(current: Any, target: Any, what: str, flag: str) -> List[str]:
    """The target must keep the current ranges, in place and in order, and may only add a family.

    KEP-563: "the first element of the --service-cluster-ip-range flag MUST NOT change IP
    families" and "Users can only add an alternative ip family to existing CIDRs"; a changed
    primary pod range makes kube-controller-manager crash-loop with "failed to mark cidr[..]
    at idx [0] as occupied".
    """
    kind = "service" if flag == "--service-cluster-ip-range" else "pod"
    now = dualstack_cidrs(current, kind=kind, kube_version="1.34") if current not in (None, "", []) else []
    wanted = dualstack_cidrs(target, kind=kind, kube_version="1.34")
    if not now:
        raise DualStackError(
            "the cluster's current %s (%s) could not be read: preflight found no value on the control "
            "plane; set it explicitly or check the component manifests" % (what, flag)
        )
    for index, network in enumerate(now):
        if index >= len(wanted) or wanted[index] != network:
            raise DualStackError(
                "target %s %s does not keep the current %s[%d]=%s: existing ranges must stay unchanged and in "
                "order (KEP-563: the first element MUST NOT change IP families; kube-controller-manager would "
                "fail with 'failed to mark cidr[...] at idx [%d] as occupied'). Use %s"
                % (what, ",".join(wanted), flag, index, network, index,
                   ",".join(now + [w for w in wanted if parse_cidr(w).version not in {parse_cidr(n).version for n in now}]))
            )
    return wanted


def check_control_planes_agree(values: Mapping[str, Any], flag: str) -> Optional[str]:
    """Every control-plane node must run the same value of ``flag`` (apiservers share one ServiceCIDR)."""
    distinct = sorted({str(value) for value in values.values()})
    if len(distinct) > 1:
        detail = ", ".join("%s: %s" % (host, values[host]) for host in sorted(values))
        raise DualStackError(
            "control-plane nodes disagree on %s (%s): all kube-apiservers must use identical ranges; make them "
            "agree before converting" % (flag, detail)
        )
    return distinct[0] if distinct else None


def usable_address(info: Mapping[str, Any]) -> bool:
    """A global, preferred (not deprecated, tentative or failed DAD) address."""
    if info.get("scope") != "global" or info.get("deprecated") or info.get("tentative") or info.get("dadfailed"):
        return False
    if info.get("preferred_life_time") == 0:
        return False
    ip = ipaddress.ip_address(info["local"])
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified)


def node_interface(interfaces: List[Mapping[str, Any]], anchor: Optional[str]) -> Mapping[str, Any]:
    """The interface holding the node's current address, else the first real one with a global address."""
    for interface in interfaces:
        if anchor and any(info.get("local") == anchor for info in interface.get("addr_info", [])):
            return interface
    for interface in interfaces:
        if interface.get("ifname", "").startswith(VIRTUAL_PREFIXES):
            continue
        if any(usable_address(info) for info in interface.get("addr_info", [])):
            return interface
    raise DualStackError("no interface with a global address found (anchor %r)" % (anchor,))


def detect_node_ips(host: str, interfaces: Any, anchor: Optional[str], families: List[str],
                    excluded: Any = None) -> List[str]:
    """Pick the node's address per family from ``ip -j addr`` output, primary family first.

    Only global, preferred addresses on the interface that carries the node's current
    address (``anchor``) qualify: never ``::1``, link-local, deprecated or tentative ones
    (kubespray's silent ``::1`` fallback is how calico-node ends up with "host IP unknown").
    """
    if not isinstance(interfaces, list):
        raise DualStackError("node %s: expected the JSON list printed by 'ip -j addr show'" % host)
    excluded_networks = [parse_cidr(c) for c in (excluded or [])]
    interface = node_interface(interfaces, anchor)
    chosen: Dict[str, str] = {}
    for info in interface.get("addr_info", []):
        if not usable_address(info):
            continue
        ip = ipaddress.ip_address(info["local"])
        if any(ip.version == n.version and ip in n for n in excluded_networks):
            continue
        name = family_name(ip.version)
        if anchor and name == family_name(ipaddress.ip_address(anchor).version):
            chosen[name] = anchor
        chosen.setdefault(name, str(ip))
    missing = [name for name in families if name not in chosen]
    if missing:
        raise DualStackError(
            "node %s has no usable global %s address on %s (only global, non-deprecated addresses count; never "
            "::1 or link-local). Add one to %s, or set dualstack_node_ips for %s"
            % (host, "/".join(missing), interface.get("ifname"), interface.get("ifname"), host)
        )
    return [chosen[name] for name in families]


def check_addresses_present(host: str, wanted: List[str], interfaces: Any) -> None:
    """Addresses given in the inventory must exist on the host."""
    present = {info.get("local") for interface in interfaces for info in interface.get("addr_info", [])}
    for address in wanted:
        if str(ipaddress.ip_address(address)) not in present:
            raise DualStackError(
                "node %s: dualstack_node_ips lists %s but the host has no such address; add it to an interface "
                "or fix the inventory" % (host, address)
            )


def check_ipv6_enabled(host: str, disable_ipv6: Any) -> None:
    """``net.ipv6.conf.all.disable_ipv6`` must be 0 on every node."""
    if str(disable_ipv6).strip() != "0":
        raise DualStackError(
            "node %s has IPv6 disabled (net.ipv6.conf.all.disable_ipv6=%s): set it to 0 (sysctl and the boot "
            "configuration) before converting" % (host, str(disable_ipv6).strip())
        )
