# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The target flags of every component for a dual-stack configuration, validated as a whole.

Each check is a small function; :func:`conversion_plan` runs them all, so that a bad
configuration fails before anything on any host changes.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import (
    check_node_mask,
    dualstack_cidrs,
    families_of,
    family_name,
    node_cidr_mask_size,
    parse_cidr,
    positive_int,
    split_cidr_list,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.conversion import (
    check_addresses_present,
    check_control_planes_agree,
    check_ipv6_enabled,
    check_keeps_current,
    detect_node_ips,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_detect import detect_cni
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.feature_gates import feature_gates
from ansible_collections.dualstack.kubernetes.plugins.module_utils.versions import parse_version, require_dual_stack_version


def check_same_primary_family(pod: List[str], service: List[str]) -> None:
    """Pod and Service ranges must list the same families in the same order.

    kube-controller-manager needs its ``--cluster-cidr`` and ``--service-cluster-ip-range``
    to be dual-stack alike ("serviceCIDR and secondaryServiceCIDR are not dualstack"), and
    KEP-563 forbids changing the primary family of either.
    """
    pod_families = families_of(pod)
    service_families = families_of(service)
    if pod_families != service_families:
        raise DualStackError(
            "pod ranges %s are %s but Service ranges %s are %s: both must list the same families in the "
            "same order, the cluster's current primary family first (KEP-563: the first element MUST NOT "
            "change IP family)" % (",".join(pod), "/".join(pod_families), ",".join(service), "/".join(service_families))
        )


def check_no_overlap(named_ranges: Mapping[str, List[str]]) -> None:
    """No two of the pod, Service and node networks may overlap (same family)."""
    flat = [(name, parse_cidr(cidr)) for name, cidrs in named_ranges.items() for cidr in cidrs]
    for index, (name_a, net_a) in enumerate(flat):
        for name_b, net_b in flat[index + 1:]:
            if net_a.version == net_b.version and net_a.overlaps(net_b):
                raise DualStackError(
                    "%s range %s overlaps %s range %s: pod, Service and node networks must be disjoint, or "
                    "traffic is routed to the wrong place. Choose a %s range outside %s"
                    % (name_a, net_a, name_b, net_b, name_b, net_a)
                )


def check_node_ip(host: str, address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """A node IP must be a global unicast address: never loopback (``::1``), link-local or unspecified."""
    try:
        ip = ipaddress.ip_address(str(address).strip())
    except ValueError:
        raise DualStackError("node %s: %r is not an IP address for --node-ip" % (host, address)) from None
    bad = (
        "loopback" if ip.is_loopback else
        "link-local" if ip.is_link_local else
        "unspecified" if ip.is_unspecified else
        "multicast" if ip.is_multicast else None
    )
    if bad:
        raise DualStackError(
            "node %s: %s is %s %s address and cannot be a --node-ip (other nodes cannot reach it; kubespray's "
            "'::1' fallback breaks CNIs this way). Set dualstack_node_ips for %s to its global %s address"
            % (host, ip, "an" if bad == "unspecified" else "a", bad, host, family_name(ip.version))
        )
    return ip


def node_ips(host: str, addresses: Any, families: List[str]) -> List[str]:
    """One valid address per cluster family, primary family first (the kubelet's ``--node-ip`` order)."""
    items = split_cidr_list(addresses) if addresses not in (None, "", []) else []
    ips = [check_node_ip(host, item) for item in items]
    by_family = {}
    for ip in ips:
        name = family_name(ip.version)
        if name in by_family:
            raise DualStackError(
                "node %s: two %s addresses (%s, %s) for --node-ip; the kubelet takes one per family"
                % (host, name, by_family[name], ip)
            )
        by_family[name] = ip
    missing = [name for name in families if name not in by_family]
    if missing:
        raise DualStackError(
            "node %s has no %s address in %r: a dual-stack node needs one InternalIP per family. Add a global "
            "%s address to the node (and to dualstack_node_ips)" % (host, "/".join(missing), addresses, "/".join(missing))
        )
    extra = [name for name in by_family if name not in families]
    if extra:
        raise DualStackError("node %s: %s address given but the cluster has no %s range" % (host, extra[0], extra[0]))
    return [str(by_family[name]) for name in families]


def check_node_ips_outside(cluster_networks: List[Any], kubelet: Mapping[str, List[str]]) -> None:
    """Node addresses must lie outside the pod and Service ranges."""
    for host, ips in kubelet.items():
        for ip in map(ipaddress.ip_address, ips):
            for network in cluster_networks:
                if ip.version == network.version and ip in network:
                    raise DualStackError(
                        "node %s address %s lies inside the cluster range %s: node addresses must be outside the "
                        "pod and Service ranges" % (host, ip, network)
                    )


def check_mask_capacity(network: Any, mask: int, nodes: int, max_pods: int) -> None:
    """An explicit node mask must leave room for every node and for maxPods pods on each."""
    blocks = 2 ** (mask - network.prefixlen)
    addresses = 2 ** (network.max_prefixlen - mask) - 2
    if blocks < nodes or addresses < max_pods:
        raise DualStackError(
            "node mask /%d for %s gives %d node block(s) of %d pod address(es), but %d node(s) at %d pods per "
            "node are planned (kube-controller-manager: 'CIDR allocation failed; there are no remaining CIDRs "
            "left to allocate'). Leave the mask empty to have it computed, or pick one between the two needs"
            % (mask, network, blocks, addresses, nodes, max_pods)
        )


def format_flags(flags: Mapping[str, Any]) -> str:
    """Render a flag map the way it will appear on a command line; removals as ``-name``."""
    parts = []
    for name, value in flags.items():
        if value is None:
            continue
        parts.append("--%s=%s" % (name, value))
    removed = ["--%s" % name for name, value in flags.items() if value is None and name != "feature-gates"]
    return " ".join(parts) + ("  (remove %s)" % ", ".join(removed) if removed else "")


def plan_summary(plan: Mapping[str, Any]) -> List[str]:
    """Human-readable lines for a plan: versions, masks, and flags per component and node."""
    lines = [
        "Kubernetes %s, families %s" % (plan["kube_version"], " + ".join(plan["families"])),
        "node masks: %s" % ", ".join("%s /%d" % item for item in plan["node_masks"].items()),
    ]
    for component in ("kube-apiserver", "kube-controller-manager", "kube-proxy"):
        lines.append("%s: %s" % (component, format_flags(plan[component])))
    for host, flags in plan["kubelet"].items():
        lines.append("kubelet on %s: %s" % (host, format_flags(flags)))
    if "cni" in plan:
        cni = plan["cni"]
        lines.append("CNI: %s (IPAM %s%s)" % (cni["name"], cni["ipam"], ", agent %s/%s restarted on each node after it "
                     "re-registers" % (cni["namespace"], cni["daemonset"]) if cni.get("restart_agent_per_node") else ""))
    if "reregister_nodes" in plan:
        lines.append(
            "nodes: %s" % ("re-register one at a time (drain, delete, kubelet restart) - the CNI's IPAM uses node podCIDRs"
                           if plan["reregister_nodes"] else "kept - the CNI's IPAM does not use node podCIDRs")
        )
    return lines


def node_masks(pod: List[str], nodes: int, max_pods: int, given: Mapping[str, Any]) -> Dict[str, int]:
    """Per-family node masks: the given ones, checked, or computed for the node count and maxPods."""
    masks = {}
    for cidr in pod:
        network = parse_cidr(cidr)
        key = "ipv%d" % network.version
        if given.get(key) not in (None, ""):
            masks[key] = check_node_mask(network, given[key])
            check_mask_capacity(network, masks[key], nodes, max_pods)
        else:
            masks[key] = node_cidr_mask_size(cidr, nodes=nodes, max_pods=max_pods)
    return masks


def conversion_plan(
    pod_cidrs: Any,
    service_cidrs: Any,
    kube_version: Any,
    nodes: Mapping[str, Any],
    max_pods: Any = 110,
    node_mask_ipv4: Any = None,
    node_mask_ipv6: Any = None,
    current_feature_gates: Any = "",
    node_cidrs: Optional[Any] = None,
    node_count: Any = None,
    current: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """Validate a dual-stack target and return the flags of each component.

    ``current`` is what preflight read from the running cluster (see :func:`apply_current`);
    with it, the target is also checked against the cluster and empty node addresses are
    detected from each host's ``ip -j addr`` output.
    ``nodes`` maps each node name to its addresses (list or comma string); ``node_count``
    (default: that many) is how many nodes the pod ranges must hold. A flag value of
    ``None`` means "remove this flag". The result is what the roles apply.
    """
    version = parse_version(kube_version)
    require_dual_stack_version(version, kube_version)
    pod = dualstack_cidrs(pod_cidrs, kind="pod")
    service = dualstack_cidrs(service_cidrs, kind="service", kube_version=kube_version)
    check_same_primary_family(pod, service)
    host_networks = dualstack_cidrs(node_cidrs, kind="pod") if node_cidrs not in (None, "", []) else []
    check_no_overlap({"pod": pod, "Service": service, "node": host_networks})
    if not nodes:
        raise DualStackError("no nodes in the inventory: put hosts in kube_control_plane and kube_node")
    families = families_of(pod)
    extra: Dict[str, Any] = {}
    if current is not None:
        nodes, extra = apply_current(current, pod, service, families, nodes)
    kubelet = {host: node_ips(host, addresses, families) for host, addresses in sorted(nodes.items())}
    check_node_ips_outside([parse_cidr(cidr) for cidr in pod + service], kubelet)
    count = positive_int(node_count, "node_count") if node_count not in (None, "") else len(nodes)
    masks = node_masks(pod, count, positive_int(max_pods, "max_pods"),
                       {"ipv4": node_mask_ipv4, "ipv6": node_mask_ipv6})
    gates = feature_gates(current_feature_gates, kube_version) or None
    # One atomic edit: per-family masks in, the legacy flag out (core.go rejects the mix).
    controller_manager = {
        "cluster-cidr": ",".join(pod),
        "service-cluster-ip-range": ",".join(service),
        "node-cidr-mask-size": None,
        "node-cidr-mask-size-ipv4": masks.get("ipv4"),
        "node-cidr-mask-size-ipv6": masks.get("ipv6"),
        "feature-gates": gates,
    }
    plan = {
        "kube_version": "%d.%d" % version,
        "families": families,
        "pod_cidrs": pod,
        "service_cidrs": service,
        "node_masks": masks,
        "kube-apiserver": {"service-cluster-ip-range": ",".join(service), "feature-gates": gates},
        "kube-controller-manager": controller_manager,
        "kube-proxy": {"cluster-cidr": ",".join(pod), "feature-gates": gates},
        "kubelet": {host: {"node-ip": ",".join(ips), "feature-gates": gates} for host, ips in kubelet.items()},
    }
    plan.update(extra)
    plan["summary"] = plan_summary(plan)
    return plan


def apply_current(current: Mapping[str, Any], pod: List[str], service: List[str], families: List[str],
                  nodes: Mapping[str, Any]) -> Any:
    """Check the target against the running cluster and fill in detected node addresses.

    ``current`` keys (each optional, per host where it says so):
    ``service_cidrs`` / ``pod_cidrs`` (control-plane host -> kube-apiserver
    ``--service-cluster-ip-range`` / kube-controller-manager ``--cluster-cidr``),
    ``interfaces`` (host -> ``ip -j addr show`` list), ``anchors`` (host -> the address the
    node uses today), ``disable_ipv6`` (host -> sysctl value), ``cni`` (the inputs of
    :func:`cni_detect.detect_cni`: daemonsets, configmaps, node_configs, declared, reregister, ippools;
    the plan then carries ``cni``, the detected CNI, and ``reregister_nodes``).
    """
    for key, flag, target in (("service_cidrs", "--service-cluster-ip-range", service), ("pod_cidrs", "--cluster-cidr", pod)):
        if current.get(key):
            agreed = check_control_planes_agree(current[key], flag)
            check_keeps_current(agreed, target, "Service ranges" if key == "service_cidrs" else "pod ranges", flag)
    for host, value in sorted((current.get("disable_ipv6") or {}).items()):
        check_ipv6_enabled(host, value)
    interfaces = current.get("interfaces") or {}
    anchors = current.get("anchors") or {}
    resolved = {}
    for host, addresses in nodes.items():
        if addresses in (None, "", []) and host in interfaces:
            resolved[host] = detect_node_ips(host, interfaces[host], anchors.get(host), families, pod + service)
        else:
            resolved[host] = addresses
            if host in interfaces and addresses not in (None, "", []):
                check_addresses_present(host, node_ips(host, addresses, families), interfaces[host])
    extra: Dict[str, Any] = {}
    if current.get("cni") is not None:
        cni = current_cni(current["cni"], pod)
        extra = {"cni": cni, "reregister_nodes": cni["reregister_nodes"]}
    return resolved, extra


def current_cni(inputs: Mapping[str, Any], pod_cidrs: Optional[List[str]]) -> Dict[str, Any]:
    """The CNI detected from what preflight read (see :func:`cni_detect.detect_cni`); ``pod_cidrs`` None on the way back."""
    return detect_cni(inputs.get("daemonsets") or [], inputs.get("configmaps") or [], inputs.get("node_configs") or {},
                      declared=inputs.get("declared") or "auto", reregister=inputs.get("reregister"),
                      pod_cidrs=pod_cidrs, ippools=inputs.get("ippools") or [])
