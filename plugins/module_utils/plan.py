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
    dualstack_cidrs,
    families_of,
    family_name,
    parse_cidr,
    positive_int,
    split_cidr_list,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cluster_nodes import (
    check_inventory_covers,
    check_kubelet_versions,
    check_reregistrable,
    converted_nodes,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.conversion import (
    check_ipv6_enabled,
    check_keeps_current,
    current_pod_cidrs,
    split_control_planes,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_addresses import (
    check_keeps_primary,
    check_present,
    current_addresses,
    detect_node_ips,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_masks import (
    check_nodes_use,
    node_masks,
    planned_node_count,
    running_node_masks,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_detect import detect_cni
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError, ErrorList
from ansible_collections.dualstack.kubernetes.plugins.module_utils.feature_gates import feature_gates, host_gates
from ansible_collections.dualstack.kubernetes.plugins.module_utils.leader import node_ipam_expected
from ansible_collections.dualstack.kubernetes.plugins.module_utils.batches import batch_summary
from ansible_collections.dualstack.kubernetes.plugins.module_utils.batches import nodes_batch as batch_size
from ansible_collections.dualstack.kubernetes.plugins.module_utils.rotation_hooks import check_rotation_hooks
from ansible_collections.dualstack.kubernetes.plugins.module_utils.verify_namespace import check_not_foreign
from ansible_collections.dualstack.kubernetes.plugins.module_utils.versions import (
    check_declared_version,
    check_tested_release,
    parse_version,
    require_convertible_version,
    require_dual_stack_version,
)


def check_ipv4_primary(families: List[str], pod: List[str]) -> None:
    """The cluster must be IPv4 single-stack now: the collection adds IPv6 to IPv4 clusters.

    The CNI edits (flannel's ``Network`` stays the IPv4 range and ``IPv6Network`` is added; Calico's
    IPv6 pool, ``assign_ipv6``, ``FELIX_IPV6SUPPORT``) and the egress rules (IPv6 masquerade) are
    written for that direction only, so an IPv6-primary target would pass the control plane,
    kubelets and Nodes and stop at the CNI play (review: style-review, "a rule is checked too late").
    """
    if families and families[0] != "IPv4":
        raise DualStackError(
            "pod ranges %s put %s first: this collection converts IPv4 single-stack clusters (the CNI and egress steps "
            "add IPv6 to an IPv4 pod network); an IPv6 single-stack cluster cannot be converted by it. Nothing was "
            "changed" % (",".join(pod), families[0]))


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


def format_flags(flags: Mapping[str, Any]) -> str:
    """Render a flag map the way it will appear on a command line; removals as ``-name``."""
    parts = []
    for name, value in flags.items():
        if value is None:
            continue
        parts.append("--%s=%s" % (name, value))
    removed = ["--%s" % name for name, value in flags.items() if value is None and name != "feature-gates"]
    return " ".join(parts) + ("  (remove %s)" % ", ".join(removed) if removed else "")


def gates_summary(plan: Mapping[str, Any]) -> List[str]:
    """One line per component and host whose ``--feature-gates`` the plan writes."""
    return ["%s on %s: --feature-gates=%s" % (component, host, edit["feature-gates"] or "(removed)")
            for host, components in sorted((plan.get("feature_gates") or {}).items())
            for component, edit in components.items() if edit]


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
    lines += gates_summary(plan)
    if "nodes_batch" in plan:
        lines.append(batch_summary(plan["nodes_batch"]))
    if "cni" in plan:
        cni = plan["cni"]
        lines.append("CNI: %s (IPAM %s%s)" % (cni["name"], cni["ipam"], ", agent %s/%s restarted on each node after it "
                     "re-registers" % (cni["namespace"], cni["daemonset"]) if cni.get("restart_agent_per_node") else ""))
    if "reregister_nodes" in plan:
        lines.append(
            "nodes: %s" % ("re-register one at a time (drain, delete, kubelet restart) - the CNI's IPAM uses node podCIDRs"
                           if plan["reregister_nodes"] else "kept - the CNI's IPAM does not use node podCIDRs")
        )
    if plan.get("nodes_api_only"):
        lines.append("nodes outside the inventory, converted through the API only (kubelets untouched): %s"
                     % ", ".join(plan["nodes_api_only"]))
    return lines


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
    nodes_batch: Any = None,
    nodes_max_unavailable: Any = None,
    worker_count: Any = None,
    started: Any = None,
) -> Dict[str, Any]:
    """Validate a dual-stack target and return the flags of each component.

    ``current`` is what preflight read from the running cluster (see :func:`apply_current`);
    with it, the target is also checked against the cluster and empty node addresses are
    detected from each host's ``ip -j addr`` output.
    ``nodes`` maps each node name to its addresses (list or comma string); ``node_count``
    (default: that many) is how many nodes the pod ranges must hold. ``nodes_batch`` and
    ``nodes_max_unavailable`` are :func:`batches.nodes_batch`'s, ``worker_count`` the non-control-plane nodes
    (default: all ``nodes``). ``started`` (the run's start, RFC 3339) is carried as the plan's ``started``, for checks
    of events newer than the run. A flag value of ``None`` means "remove this flag". The result is what the roles apply.
    """
    errors = ErrorList()
    version = errors.check(parse_version, kube_version)
    if version is not None:
        errors.check(require_dual_stack_version, version, kube_version)
    pod = errors.check(dualstack_cidrs, pod_cidrs, kind="pod")
    service = errors.check(dualstack_cidrs, service_cidrs, kind="service", kube_version=kube_version if version else None)
    host_networks = errors.check(dualstack_cidrs, node_cidrs, kind="pod") if node_cidrs not in (None, "", []) else []
    if pod is not None and service is not None:
        errors.check(check_same_primary_family, pod, service)
        if host_networks is not None:
            errors.check(check_no_overlap, {"pod": pod, "Service": service, "node": host_networks})
    if not nodes:
        errors.add("no nodes in the inventory: put hosts in kube_control_plane and kube_node")
    families = families_of(pod) if pod is not None else []
    if pod is not None:
        errors.check(check_ipv4_primary, families, pod)
    extra: Dict[str, Any] = {}
    running: Optional[Dict[str, int]] = None
    cluster_nodes = 0
    undetected: List[str] = []
    if current is not None:
        if version is not None:
            errors.check(require_convertible_version, version, kube_version)
        nodes, extra, running, undetected = apply_current(current, pod, service, families, nodes or {}, kube_version, errors)
        cluster_nodes = len(current.get("node_objects") or [])
    kubelet: Dict[str, List[str]] = {}
    masks: Optional[Dict[str, int]] = None
    if pod is not None:
        for host, addresses in sorted((nodes or {}).items()):
            ips = errors.check(node_ips, host, addresses, families) if host not in undetected else None
            if ips is not None:
                kubelet[host] = ips
        if service is not None:
            errors.check(check_node_ips_outside, [parse_cidr(cidr) for cidr in pod + service], kubelet)
        count = errors.check(planned_node_count, node_count, len(nodes or {}), cluster_nodes)
        size = errors.check(positive_int, max_pods, "max_pods")
        masks = errors.check(node_masks, pod, count, size, {"ipv4": node_mask_ipv4, "ipv6": node_mask_ipv6}, running) \
            if count is not None and size is not None else None
    gates = errors.check(feature_gates, current_feature_gates, kube_version) if version is not None else None
    batch = errors.check(batch_size, nodes_batch, nodes_max_unavailable, len(nodes or {}) if worker_count is None else int(worker_count))
    errors.raise_if_any()
    # No error recorded: the target parsed (pod, service, version and masks are set).
    pod, service, version, masks = pod or [], service or [], version or (0, 0), masks or {}
    gates = gates or None
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
        "nodes_batch": batch,
        # The Nodes the cluster has (read by preflight), else the inventory's: waits over every Node scale with it.
        "node_count": cluster_nodes or len(nodes or {}),
        "started": str(started or ""),
    }
    plan.update(extra)
    if "feature_gates" in extra:
        # Read per host on a live cluster: those are what the roles write, not the cluster-wide input.
        for flags in [plan["kube-apiserver"], controller_manager, plan["kube-proxy"], *plan["kubelet"].values()]:
            flags.pop("feature-gates", None)
    plan["summary"] = plan_summary(plan)
    return plan


def apply_current(current: Mapping[str, Any], pod: Optional[List[str]], service: Optional[List[str]],
                  families: List[str], nodes: Mapping[str, Any], kube_version: Any, errors: ErrorList) -> Any:
    """Check the target against the running cluster and fill in detected node addresses.

    ``current`` keys (each optional, per host where it says so):
    ``server_version`` (what kube-apiserver reports; ``kube_version`` must name the same release; a release outside
    :data:`versions.LIVE_TESTED` is refused unless ``allow_untested_release``),
    ``service_cidrs`` / ``pod_cidrs`` (control-plane host -> kube-apiserver
    ``--service-cluster-ip-range`` / kube-controller-manager ``--cluster-cidr``),
    ``controller_manager`` (control-plane host -> all kube-controller-manager flags: the node masks it runs),
    ``node_objects`` (the Node objects: current InternalIPs, podCIDR sizes, kubelet versions, the Node set),
    ``hosts`` (the inventory's k8s_cluster hosts in the play), ``outside_inventory`` (``refuse`` or ``api_only``:
    what to do with Nodes outside ``hosts``; the plan then lists the latter in ``nodes_api_only``), ``kubelet_flags`` (host -> its kubelet's flags),
    ``interfaces`` (host -> ``ip -j addr show`` list), ``routes`` (host -> the outputs of ``ip -j -4 route show default`` and ``-6``, in that order),
    ``disable_ipv6`` (host -> sysctl value), ``component_flags`` (host -> component -> the flags it runs with; the
    plan then carries ``feature_gates``, each host's ``--feature-gates`` edit per component: see
    :func:`feature_gates.host_gates`; ``controller_manager`` also gives ``node_ipam``, whether the controller-managers start
    node IPAM), ``cni`` (the inputs of :func:`cni_detect.detect_cni`: daemonsets,
    configmaps, node_configs, declared, reregister, ippools; the plan then carries ``cni``, the detected CNI,
    and ``reregister_nodes``), ``rotation_out`` / ``rotation_in`` (control-plane host -> the control_plane role's
    load-balancer hooks: :func:`rotation_hooks.check_rotation_hooks`), ``verify_namespace`` (the verify role's test
    namespace as read: :func:`verify_namespace.check_not_foreign`). Each independent rule's error goes to ``errors`` (rules that need a range
    the target failed to give are skipped: ``pod``/``service`` None). Returns the nodes' addresses, the
    plan's extra keys, the running node masks and the hosts whose addresses could not be settled.
    """
    errors.check(check_declared_version, kube_version, current.get("server_version"))
    errors.check(check_tested_release, current.get("server_version"), current.get("allow_untested_release"))
    errors.check(check_rotation_hooks, current.get("rotation_out") or {}, current.get("rotation_in") or {})
    errors.check(check_not_foreign, current.get("verify_namespace"))
    node_objects = list(current.get("node_objects") or [])
    errors.check(check_kubelet_versions, node_objects)
    extra: Dict[str, Any] = {}
    if current.get("cni") is not None and pod is not None:
        cni = errors.check(current_cni, current["cni"], pod)
        if cni is not None:
            extra = {"cni": cni, "reregister_nodes": cni["reregister_nodes"]}
            if cni["reregister_nodes"]:
                errors.check(check_reregistrable, node_objects, current.get("kubelet_flags") or {})
    if current.get("hosts"):
        cni = extra.get("cni") or {}
        extra["nodes_api_only"] = errors.check(
            check_inventory_covers, node_objects, current["hosts"], current.get("outside_inventory"), families,
            bool(cni.get("reregister_nodes", True)), cni.get("name", "")) or []
    extra["nodes_converted"] = converted_nodes(node_objects, families)
    if current.get("component_flags") is not None:
        extra["feature_gates"] = errors.check(host_gates, current["component_flags"], kube_version) or {}
    if current.get("controller_manager"):
        extra["node_ipam"] = any(node_ipam_expected(flags or {}) for flags in current["controller_manager"].values())
    running = None
    if current.get("service_cidrs") and pod is not None and service is not None:
        running = errors.check(running_ranges, current, pod, service, node_objects)
    for host, value in sorted((current.get("disable_ipv6") or {}).items()):
        errors.check(check_ipv6_enabled, host, value)
    interfaces = current.get("interfaces") or {}
    routes = current.get("routes") or {}
    kubelet_flags = current.get("kubelet_flags") or {}
    resolved: Dict[str, Any] = {}
    undetected: List[str] = []
    # Each host's own Node, looked up once: a scan of every Node per host is quadratic (5,000 Nodes: 3.6 s of 4.9 s).
    by_name: Dict[Any, List[Mapping[str, Any]]] = {}
    for node in node_objects:
        by_name.setdefault((node.get("metadata") or {}).get("name"), []).append(node)
    for host, addresses in nodes.items():
        settled = errors.check(settle_addresses, host, addresses, by_name.get(host, []), kubelet_flags, interfaces, routes,
                               families, (pod or []) + (service or [])) if families else addresses
        if settled is None:
            undetected.append(host)
        resolved[host] = addresses if settled is None else settled
    return resolved, extra, running, undetected


def running_ranges(current: Mapping[str, Any], pod: List[str], service: List[str],
                   node_objects: List[Mapping[str, Any]]) -> Optional[Dict[str, int]]:
    """The target keeps the running ranges and node mask; return the running node masks (see :func:`apply_current`)."""
    # Control planes agree, or an interrupted run left them split between the current value and one with a
    # second family: the target must keep both (the converted ones are then already at the target).
    single_service, dual_service = split_control_planes(current["service_cidrs"], "--service-cluster-ip-range")
    for value in dict.fromkeys((single_service, dual_service)):
        check_keeps_current(value, service, "Service ranges", "--service-cluster-ip-range")
    now_pod = current_pod_cidrs(current.get("pod_cidrs") or {}, single_service, (current.get("cni") or {}).get("ippools"))
    check_keeps_current(now_pod, pod, "pod ranges", "--cluster-cidr")
    dual_pod = split_control_planes(current.get("pod_cidrs") or {}, "--cluster-cidr")[1] if current.get("pod_cidrs") else None
    if dual_pod not in (None, "", "None"):
        check_keeps_current(dual_pod, pod, "pod ranges", "--cluster-cidr")
    running = running_masks(current.get("controller_manager") or {}, now_pod)
    check_nodes_use(running, node_objects)
    return running


def running_masks(controller_managers: Mapping[str, Any], now_pod: Any) -> Dict[str, int]:
    """The node mask per family the control planes run: each kube-controller-manager's own (for the ranges it
    runs, its --cluster-cidr or the current one), which must agree family by family (a half-converted control
    plane runs one more family than the others)."""
    masks: Dict[str, int] = {}
    seen: Dict[str, List[str]] = {}
    for host, read in sorted((controller_managers or {"": {}}).items()):
        flags = read or {}
        ranges = split_cidr_list(flags["cluster-cidr"]) if flags.get("cluster-cidr") else split_cidr_list(now_pod)
        for family, mask in running_node_masks(flags, ranges).items():
            seen.setdefault(family, []).append("%s /%d" % (host, mask))
            if masks.setdefault(family, mask) != mask:
                raise DualStackError(
                    "control-plane nodes disagree on the %s node mask (%s): make their kube-controller-manager "
                    "--node-cidr-mask-size flags agree before converting" % (family.replace("ipv", "IPv"), ", ".join(seen[family])))
    return masks


def settle_addresses(host: str, addresses: Any, node_objects: List[Mapping[str, Any]], kubelet_flags: Mapping[str, Any],
                     interfaces: Mapping[str, Any], routes: Mapping[str, Any], families: List[str],
                     cluster_ranges: List[str]) -> Any:
    """One host's addresses: detected when not given, else checked to keep its InternalIP and to be on the host."""
    now = current_addresses(host, node_objects, (kubelet_flags.get(host) or {}).get("node-ip"))
    if addresses in (None, "", []):
        return detect_node_ips(host, interfaces[host], now, families, routes.get(host), cluster_ranges) \
            if host in interfaces else addresses
    given = node_ips(host, addresses, families)
    check_keeps_primary(host, given, now, families)
    if host in interfaces:
        check_present(host, given, interfaces[host])
    return addresses


def current_cni(inputs: Mapping[str, Any], pod_cidrs: Optional[List[str]]) -> Dict[str, Any]:
    """The CNI detected from what preflight read (see :func:`cni_detect.detect_cni`); ``pod_cidrs`` None on the way back."""
    return detect_cni(inputs.get("daemonsets") or [], inputs.get("configmaps") or [], inputs.get("node_configs") or {},
                      declared=inputs.get("declared") or "auto", reregister=inputs.get("reregister"),
                      pod_cidrs=pod_cidrs, ippools=inputs.get("ippools") or [])
