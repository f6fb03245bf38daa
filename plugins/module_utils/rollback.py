# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The way back: every component's single-stack flags, computed from the running dual-stack cluster.

KEP-563's rollback guidance: "convert Services to single-stack first, then remove the
flags". The secondary family is the one dropped; the primary family, its ranges and the
node masks of that family stay exactly as they are. Each check is a small function;
:func:`rollback_plan` runs them all before anything on any host changes.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Mapping

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import (
    families_of,
    family_name,
    parse_cidr,
    split_cidr_list,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.conversion import check_control_planes_agree, split_control_planes
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.feature_gates import host_gates
from ansible_collections.dualstack.kubernetes.plugins.module_utils.leader import node_ipam_expected
from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import current_cni, format_flags, gates_summary
from ansible_collections.dualstack.kubernetes.plugins.module_utils.batches import batch_summary
from ansible_collections.dualstack.kubernetes.plugins.module_utils.batches import nodes_batch as nodes_batch_size
from ansible_collections.dualstack.kubernetes.plugins.module_utils.rotation_hooks import check_rotation_hooks
from ansible_collections.dualstack.kubernetes.plugins.module_utils.verify_namespace import check_not_foreign
from ansible_collections.dualstack.kubernetes.plugins.module_utils.versions import check_tested_release, parse_version

#: kube-controller-manager's name for the node IPAM controller (``--controllers=*,-nodeipam``).
NODE_IPAM_CONTROLLER = "nodeipam"


def current_ranges(values: Mapping[str, Any], flag: str) -> List[str]:
    """The ranges the control planes run with today, as a list: the dual value when an interrupted run left them split.

    Each in its canonical form (what the way back writes goes where 1.36+ validates it strictly:
    StrictIPCIDRValidation); a running range with host bits is refused, naming its network address.
    """
    if not values:
        raise DualStackError(
            "the cluster's current %s could not be read from any control-plane node: check the component "
            "manifests (rollback reads them; it takes no target)" % flag
        )
    # Split by an interrupted run: the dual value is what is rolled back from (the single one is its first range).
    agreed = split_control_planes(values, flag)[1]
    ranges = split_cidr_list(agreed) if agreed not in (None, "") else []
    if not ranges:
        raise DualStackError("the current %s is empty on the control plane: nothing to roll back from" % flag)
    return [str(parse_cidr(cidr)) for cidr in ranges]


def check_primary_families_match(pod: List[str], service: List[str]) -> str:
    """Pod and Service ranges must start with the same family: that family is kept."""
    pod_primary, service_primary = families_of(pod[:1])[0], families_of(service[:1])[0]
    if pod_primary != service_primary:
        raise DualStackError(
            "--cluster-cidr starts with %s (%s) but --service-cluster-ip-range starts with %s (%s): the cluster has "
            "no single primary family to roll back to; fix the control-plane flags by hand first"
            % (pod[0], pod_primary, service[0], service_primary)
        )
    return pod_primary


def service_families(service: Mapping[str, Any]) -> List[str]:
    """A Service's ``spec.ipFamilies`` (empty for ExternalName Services, which have no ClusterIP)."""
    spec = service.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return []
    return list(spec.get("ipFamilies") or [])


def service_name(service: Mapping[str, Any]) -> str:
    """``namespace/name`` of a Service object."""
    meta = service.get("metadata") or {}
    return "%s/%s" % (meta.get("namespace", "default"), meta.get("name", "?"))


def check_services_keep_primary(services: List[Mapping[str, Any]], primary: str) -> None:
    """Services whose first family is the dropped one cannot be rolled back in place.

    ``spec.clusterIPs[0]`` is immutable (validation: "may not change once set" for the
    primary ClusterIP), so an IPv6-first Service on an IPv4-primary cluster keeps its IPv6
    ClusterIP; after the rollback nothing routes it.
    """
    blocked = [service_name(svc) for svc in services if service_families(svc)[:1] not in ([], [primary])]
    if blocked:
        shown = ", ".join(sorted(blocked)[:10]) + (" and %d more" % (len(blocked) - 10) if len(blocked) > 10 else "")
        raise DualStackError(
            "%d Service(s) have %s as their first IP family: %s. Their primary ClusterIP cannot change in place "
            "(spec.clusterIPs[0] is immutable), so a rollback to %s-only would leave them unreachable. Delete them "
            "or recreate them with ipFamilies: [%s] before the rollback" % (len(blocked), "/".join(sorted(
                {service_families(svc)[0] for svc in services if service_families(svc)[:1] not in ([], [primary])})),
                shown, primary, primary)
        )


def services_to_downgrade(services: List[Mapping[str, Any]]) -> List[str]:
    """Services that still hold a second family (or ask for one): they go back to SingleStack first."""
    found = []
    for svc in services:
        spec = svc.get("spec") or {}
        if len(service_families(svc)) > 1 or spec.get("ipFamilyPolicy") in ("PreferDualStack", "RequireDualStack"):
            found.append(service_name(svc))
    return sorted(found)


def services_to_single_stack(services: Any, primary: str) -> List[str]:
    """The Services to set to SingleStack, from a fresh read right before the apiservers drop the second range.

    Services created or changed since preflight read them (a ``RequireDualStack`` one included) would keep
    the dropped range's ClusterIPs allocated and the ServiceCIDR of that range in use, so the way back
    reads them again there; one whose first family is the dropped one is refused as in preflight.
    ``services``: ``kubectl get services -A -o json`` (the List) or its items.
    """
    items = list(services.get("items") or []) if isinstance(services, Mapping) else list(services or [])
    check_services_keep_primary(items, primary)
    return services_to_downgrade(items)


def primary_node_ip(host: str, node_ip_flag: Any, addresses: Any, primary: str) -> str:
    """The node's address of the primary family: from the kubelet's ``--node-ip``, else its Node's InternalIPs."""
    for source in (split_cidr_list(node_ip_flag) if node_ip_flag not in (None, "") else [], list(addresses or [])):
        for item in source:
            try:
                ip = ipaddress.ip_address(str(item).strip())
            except ValueError:
                continue
            if family_name(ip.version) == primary:
                return str(ip)
    raise DualStackError(
        "node %s: no %s address in its kubelet --node-ip (%r) or its Node's InternalIPs (%r); set dualstack_node_ips "
        "for it or check that the kubelet runs" % (host, primary, node_ip_flag, addresses)
    )


def controllers_values(current: Any) -> Dict[str, str]:
    """``--controllers`` while node IPAM is paused (``hold``) and afterwards (``final``).

    A single-stack kube-controller-manager refuses to start while any Node still holds a
    second podCIDR (range_allocator.go: "has an allocated cidr ... at index:1 that does not
    exist in cluster cidrs configuration", "This error will keep crashing
    controller-manager"), so node IPAM is switched off until every Node has re-registered.
    """
    items = [item.strip() for item in str(current or "*").split(",") if item.strip()]
    base = [item for item in items if item != "-" + NODE_IPAM_CONTROLLER] or ["*"]
    return {"hold": ",".join(base + ["-" + NODE_IPAM_CONTROLLER]), "final": ",".join(base)}


def nodes_with_extra_cidrs(nodes: List[Mapping[str, Any]], primary: str) -> List[str]:
    """Nodes whose ``spec.podCIDRs`` are not exactly one range of the primary family."""
    pending = []
    for node in nodes:
        cidrs = (node.get("spec") or {}).get("podCIDRs") or []
        if cidrs and families_of(cidrs) != [primary]:
            pending.append((node.get("metadata") or {}).get("name", "?"))
    return sorted(pending)


def outside_pending(pending: List[str], hosts: List[str], mode: Any) -> List[str]:
    """The Nodes to re-register that are not inventory hosts: refused unless ``mode`` is ``api_only``.

    A Node the conversion took through the API only (``dualstack_nodes_outside_inventory: api_only``)
    goes back the same way; its kubelet keeps the node addresses it reports.
    """
    if not hosts:
        return []
    outside = [name for name in pending if name not in set(hosts)]
    if outside and str(mode or "refuse") != "api_only":
        raise DualStackError(
            "Node(s) %s hold a podCIDR of the dropped family and are not in the inventory's k8s_cluster group: the way "
            "back would leave them so. Add them to kube_node (inventory name = Node name), or set "
            "dualstack_nodes_outside_inventory: api_only as for the conversion" % ", ".join(outside))
    return outside


def rollback_summary(plan: Mapping[str, Any]) -> List[str]:
    """Printable lines of a rollback plan, in the order the playbook applies it."""
    lines = [
        "Kubernetes %s: roll back to %s only (%s)" % (
            plan["kube_version"], plan["families"][0],
            "drop " + plan["dropped_family"] if plan["dropped_family"] else "already single-stack"),
        "Services to SingleStack first: %s" % (", ".join(plan["services_to_downgrade"]) or "none"),
        "kube-proxy: %s" % format_flags(plan["kube-proxy"]),
        "CNI and egress: IPv6 off where it is on (flannel EnableIPv6, Calico assign_ipv6/FELIX_IPV6SUPPORT and its "
        "IPv6 pools disabled, the DUALSTACK-MASQ6 chain on each node, ip-masq-agent --enable-ipv6)",
    ]
    for host, flags in plan["kubelet"].items():
        lines.append("kubelet on %s: %s" % (host, format_flags(flags)))
    lines.append(batch_summary(plan.get("nodes_batch")))
    lines.append("kube-controller-manager: %s" % format_flags(plan["kube-controller-manager"]))
    if plan["pause_node_ipam"]:
        lines.append(
            "nodes: re-register %s with node IPAM paused (--controllers=%s), each keeping its %s podCIDR; then "
            "--controllers=%s" % (", ".join(plan["nodes_to_reregister"]) or "(interrupted run: none left)",
                                  plan["controllers"]["hold"], plan["families"][0], plan["controllers"]["final"])
        )
    lines.append("kube-apiserver: %s" % format_flags(plan["kube-apiserver"]))
    return lines + gates_summary(plan)


def rollback_plan(current: Mapping[str, Any], kube_version: Any, nodes_batch: Any = None, nodes_max_unavailable: Any = None,
                  worker_count: Any = None) -> Dict[str, Any]:
    """Validate that the running cluster can go back to single-stack and return each component's flags.

    ``current`` is what preflight read (all per control-plane host where it says so):
    ``service_cidrs`` / ``pod_cidrs`` (host -> flag value), ``controllers`` (host ->
    kube-controller-manager ``--controllers`` or empty), ``node_ips`` (host -> kubelet
    ``--node-ip`` or empty), ``node_objects`` (the Node objects), ``services`` (the Service
    objects), ``hosts`` (the inventory's nodes), ``server_version`` and ``allow_untested_release`` (as in
    :func:`plan.apply_current`: the way back is refused on a release never run live, too), ``component_flags`` (host -> component -> flags: the plan's
    ``feature_gates``, as in :func:`plan.apply_current`), ``cni`` (what :func:`plan.current_cni` takes),
    ``rotation_out`` / ``rotation_in`` (the load-balancer hooks, as in :func:`plan.apply_current`), ``verify_namespace``
    (the verify role's test namespace, as in :func:`plan.apply_current`).
    ``nodes_batch``, ``nodes_max_unavailable`` and ``worker_count`` as for :func:`plan.conversion_plan`.
    The result has the shape of :func:`plan.conversion_plan`'s,
    so the same roles apply it, plus ``mode: rollback`` and what only a rollback needs.
    """
    version = parse_version(kube_version)
    check_tested_release(current.get("server_version"), current.get("allow_untested_release"))
    check_rotation_hooks(current.get("rotation_out") or {}, current.get("rotation_in") or {})
    check_not_foreign(current.get("verify_namespace"))
    batch = nodes_batch_size(nodes_batch, nodes_max_unavailable,
                             len(current.get("hosts") or []) if worker_count is None else int(worker_count))
    service = current_ranges(current.get("service_cidrs") or {}, "--service-cluster-ip-range")
    pod = current_ranges(current.get("pod_cidrs") or {}, "--cluster-cidr")
    primary = check_primary_families_match(pod, service)
    dropped = sorted(set(families_of(pod) + families_of(service)) - {primary})
    services = list(current.get("services") or [])
    check_services_keep_primary(services, primary)
    node_objects = list(current.get("node_objects") or [])
    addresses = {
        (node.get("metadata") or {}).get("name"): [
            a.get("address") for a in (node.get("status") or {}).get("addresses") or [] if a.get("type") == "InternalIP"]
        for node in node_objects
    }
    node_ips = current.get("node_ips") or {}
    kubelet = {host: {"node-ip": primary_node_ip(host, node_ips.get(host), addresses.get(host), primary)}
               for host in sorted(set(node_ips) | set(current.get("hosts") or []))}
    controllers = {h: v or "" for h, v in (current.get("controllers") or {}).items()}
    controllers_now = check_control_planes_agree(controllers, "--controllers") if controllers else ""
    pending = nodes_with_extra_cidrs(node_objects, primary)
    api_only = outside_pending(pending, current.get("hosts") or [], current.get("outside_inventory"))
    key = "ipv%s" % primary[-1]
    plan = {
        "mode": "rollback",
        "kube_version": "%d.%d" % version,
        "families": [primary],
        "dropped_family": dropped[0] if dropped else None,
        "pod_cidrs": pod[:1],
        "service_cidrs": service[:1],
        # The kept family's mask is left as it is; kubeadm-config keeps what the manifest has.
        "node_masks": {},
        "kube-apiserver": {"service-cluster-ip-range": service[0]},
        "kube-controller-manager": {
            "cluster-cidr": pod[0],
            "service-cluster-ip-range": service[0],
            # The dropped family's mask flag must go: "usage of --node-cidr-mask-size-ipv6 is not allowed for a
            # single-stack IPv4 cluster".
            "node-cidr-mask-size-%s" % ("ipv6" if key == "ipv4" else "ipv4"): None,
        },
        "kube-proxy": {"cluster-cidr": pod[0]},
        "kubelet": kubelet,
        # Re-registration is needed exactly when Nodes hold a second podCIDR (whatever the CNI's IPAM), or
        # when an interrupted run left node IPAM paused.
        "reregister_nodes": False,
        "services_to_downgrade": services_to_downgrade(services),
        "nodes_to_reregister": pending,
        "nodes_api_only": api_only,
        "controllers": controllers_values(controllers_now),
        "pause_node_ipam": bool(pending) or "-" + NODE_IPAM_CONTROLLER in str(controllers_now).split(","),
        "nodes_batch": batch,
    }
    plan["reregister_nodes"] = plan["pause_node_ipam"]
    if current.get("component_flags") is not None:
        plan["feature_gates"] = host_gates(current["component_flags"], kube_version)
        # With --controllers as the way back leaves it (node IPAM back on when it paused it).
        plan["node_ipam"] = any(node_ipam_expected(dict(components.get("kube-controller-manager") or {},
                                                        controllers=plan["controllers"]["final"]))
                                for components in current["component_flags"].values() if components.get("kube-controller-manager"))
    if current.get("cni") is not None:
        plan["cni"] = current_cni(current["cni"], None)
    plan["summary"] = rollback_summary(plan)
    return plan
