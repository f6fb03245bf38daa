# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which address per family each node's kubelet gets in ``--node-ip``, anchored on what the node uses today.

A node's current address is its Node object's ``InternalIP`` (``kubectl get nodes``), else the
first value of its kubelet's ``--node-ip``: the conversion keeps it (review finding H4: a changed
primary InternalIP breaks flannel's public-ip, NodePort allow-lists and the kubelet's serving
certificate SANs). Only the new family's address is chosen: on the interface that holds the
current one, else on the interface of that family's default route; never ``::1``, link-local,
deprecated, tentative, temporary (RFC 4941 privacy addresses rotate, and the kubelet would be
pinned to one that expires) or finite-lifetime addresses. More than one candidate is ambiguous and
refused with the list; ``dualstack_node_ips`` settles it.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import family_name, parse_cidr, split_cidr_list
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: ``valid_life_time`` of an address that never expires (INFINITY_LIFE_TIME in the kernel).
FOREVER = 4294967295


def internal_ips(node: Mapping[str, Any]) -> List[str]:
    """A Node object's InternalIP addresses, in the order the kubelet reports them."""
    addresses = (node.get("status") or {}).get("addresses") or []
    return [str(a.get("address")) for a in addresses if a.get("type") == "InternalIP" and a.get("address")]


def current_addresses(host: str, node_objects: Sequence[Mapping[str, Any]], kubelet_node_ip: Any) -> List[str]:
    """What ``host`` uses today: its Node's InternalIPs, else its kubelet's ``--node-ip`` (e.g. between delete and
    re-registration), else nothing."""
    for node in node_objects:
        if (node.get("metadata") or {}).get("name") == host and internal_ips(node):
            return internal_ips(node)
    return split_cidr_list(kubelet_node_ip) if kubelet_node_ip not in (None, "", []) else []


def unusable_reason(info: Mapping[str, Any]) -> Optional[str]:
    """Why an ``ip -j addr`` entry cannot be a node address, or None when it can."""
    try:
        ip = ipaddress.ip_address(str(info.get("local")))
    except ValueError:
        return "not an address"
    checks = (
        (ip.is_loopback, "loopback"), (ip.is_link_local, "link-local"), (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"), (info.get("scope") not in (None, "global"), "scope %s" % info.get("scope")),
        (bool(info.get("temporary")), "temporary (RFC 4941 privacy address)"),
        (bool(info.get("deprecated")) or info.get("preferred_life_time") == 0, "deprecated"),
        (bool(info.get("tentative")), "tentative"), (bool(info.get("dadfailed")), "duplicate address detection failed"),
        (info.get("valid_life_time", FOREVER) != FOREVER, "finite lifetime (valid_lft %ss)" % info.get("valid_life_time")),
    )
    return next((reason for failed, reason in checks if failed), None)


def interface_of(interfaces: Sequence[Mapping[str, Any]], address: str) -> Optional[Mapping[str, Any]]:
    """The interface that holds ``address``."""
    wanted = ipaddress.ip_address(address)
    for interface in interfaces:
        for info in interface.get("addr_info") or []:
            try:
                if ipaddress.ip_address(str(info.get("local"))) == wanted:
                    return interface
            except ValueError:
                continue
    return None


def default_route_interface(routes: Any) -> Optional[str]:
    """The device of the first default route in ``ip -j route show default`` output."""
    for route in routes or []:
        if route.get("dev"):
            return str(route["dev"])
    return None


def routes_by_family(raw: Any) -> Dict[str, Any]:
    """``[ip -j -4 route show default, ip -j -6 route show default]`` outputs (text or parsed) by family name."""
    parsed = [json.loads(item or "[]") if isinstance(item, str) else (item or []) for item in (raw or [])]
    return dict(zip(("IPv4", "IPv6"), parsed))


def candidates(interface: Mapping[str, Any], version: int, excluded: Sequence[Any]) -> Dict[str, Optional[str]]:
    """The interface's addresses of one family outside ``excluded`` networks, each with why it is unusable (None: usable)."""
    found: Dict[str, Optional[str]] = {}
    for info in interface.get("addr_info") or []:
        try:
            ip = ipaddress.ip_address(str(info.get("local")))
        except ValueError:
            continue
        if ip.version != version or any(ip.version == n.version and ip in n for n in excluded):
            continue
        found[str(ip)] = unusable_reason(info)
    return found


def choose_new_family_address(host: str, interfaces: Sequence[Mapping[str, Any]], anchor: str, version: int,
                              routes: Any, excluded: Sequence[Any]) -> str:
    """The one usable address of family ``version`` next to ``anchor`` (else on that family's default route)."""
    name = family_name(version)
    holder = interface_of(interfaces, anchor)
    places = [holder] if holder is not None else []
    route_dev = default_route_interface(routes)
    if route_dev and (holder is None or holder.get("ifname") != route_dev):
        places += [i for i in interfaces if i.get("ifname") == route_dev]
    rejected: List[str] = []
    for interface in places:
        found = candidates(interface, version, excluded)
        usable = sorted(address for address, reason in found.items() if reason is None)
        rejected += ["%s on %s: %s" % (address, interface.get("ifname"), reason)
                     for address, reason in sorted(found.items()) if reason is not None]
        if len(usable) == 1:
            return usable[0]
        if len(usable) > 1:
            raise DualStackError(
                "node %s: %d usable global %s addresses on %s (%s), where its current address %s is: cannot tell which "
                "one the kubelet should report. Set dualstack_node_ips for %s, e.g. '%s,%s'"
                % (host, len(usable), name, interface.get("ifname"), ", ".join(usable), anchor, host, anchor, usable[0])
            )
    where = " and ".join(str(i.get("ifname")) for i in places) or "no interface (%s is on none)" % anchor
    raise DualStackError(
        "node %s has no usable global %s address on %s (the interface of its current address %s, then the %s default "
        "route's). Never used: ::1, link-local, deprecated, tentative, temporary or finite-lifetime addresses%s. Add a "
        "static global %s address there, or set dualstack_node_ips for %s"
        % (host, name, where, anchor, name, (" (seen: %s)" % "; ".join(rejected)) if rejected else "", name, host)
    )


def check_keeps_primary(host: str, given: Sequence[str], current: Sequence[str], families: Sequence[str]) -> None:
    """An address given in the inventory may not change what the node uses today, family by family."""
    now = {family_name(ipaddress.ip_address(a).version): a for a in current}
    for address in given:
        name = family_name(ipaddress.ip_address(address).version)
        if name == families[0] and name in now and ipaddress.ip_address(now[name]) != ipaddress.ip_address(address):
            raise DualStackError(
                "node %s: dualstack_node_ips puts %s first but the node's %s address today (its Node's InternalIP) is "
                "%s: the conversion never changes a node's %s address (flannel's public-ip, NodePort allow-lists and "
                "the kubelet's serving certificate depend on it). Use '%s,<its %s address>' or leave dualstack_node_ips "
                "empty to have it detected" % (host, address, name, now[name], name, now[name], families[-1])
            )


def check_present(host: str, wanted: Sequence[str], interfaces: Sequence[Mapping[str, Any]]) -> None:
    """Addresses given in the inventory must exist on the host."""
    for address in wanted:
        if interface_of(interfaces, address) is None:
            raise DualStackError(
                "node %s: dualstack_node_ips lists %s but the host has no such address; add it to an interface or fix "
                "the inventory" % (host, address)
            )


def detect_node_ips(host: str, interfaces: Any, current: Sequence[str], families: Sequence[str],
                    routes: Any = None, excluded: Any = None) -> List[str]:
    """One address per family for ``--node-ip``, primary family first: kept where the node has one, chosen where not.

    ``current`` is what :func:`current_addresses` found; ``routes`` is what :func:`routes_by_family`
    takes (the ``ip -j -4``/``-6 route show default`` outputs); ``excluded`` are the pod and Service ranges.
    """
    if not isinstance(interfaces, list):
        raise DualStackError("node %s: expected the JSON list printed by 'ip -j addr show'" % host)
    if not current:
        raise DualStackError(
            "node %s: no Node named %s in the API and no --node-ip on its kubelet, so the address it uses today is "
            "unknown and the conversion will not guess it. Check that the inventory name is the Node's name, or set "
            "dualstack_node_ips for %s (its current %s address first)" % (host, host, host, families[0])
        )
    networks = [parse_cidr(c) for c in (excluded or [])]
    now = {family_name(ipaddress.ip_address(a).version): str(ipaddress.ip_address(a)) for a in reversed(list(current))}
    if families[0] not in now:
        raise DualStackError(
            "node %s reports no %s address (InternalIPs %s) but the cluster's primary family is %s: fix the node's "
            "--node-ip first" % (host, families[0], ", ".join(current), families[0])
        )
    anchor = now[families[0]]
    for name in families:
        if name in now and interface_of(interfaces, now[name]) is None:
            raise DualStackError(
                "node %s: its %s InternalIP %s is on none of the host's interfaces: is the inventory host the machine "
                "of Node %s, or did the address go away? Fix the inventory, the address or the node's --node-ip before "
                "converting" % (host, name, now[name], host)
            )
    chosen = []
    for name in families:
        if name in now:
            chosen.append(now[name])
        else:
            version = 6 if name == "IPv6" else 4
            chosen.append(choose_new_family_address(host, interfaces, anchor, version, routes_by_family(routes).get(name), networks))
    return chosen
