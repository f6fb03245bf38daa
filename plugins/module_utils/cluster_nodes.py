# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which of the cluster's Nodes the conversion can take: all in the inventory, none it cannot re-register safely.

The kubelet play converts only the inventory's hosts; a Node outside it (autoscaled, joined by
hand) would keep a single ``--node-ip`` and, when nodes are re-registered, a single podCIDR: the
cluster would be half converted and verify would fail after every other change (review finding M4).
Re-registration deletes the Node object: a kubelet started with ``--register-node=false`` never
creates it again, and a Cluster API MachineHealthCheck sees NodeNotFound and may remediate
(replace) the machine (review finding M3).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import ip_family
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.versions import kubelet_versions, parse_version, require_convertible_version

#: The annotation Cluster API puts on the Nodes of its Machines.
CAPI_MACHINE_ANNOTATION = "cluster.x-k8s.io/machine"
#: ``dualstack_nodes_outside_inventory``: refuse a Node outside k8s_cluster, or convert it through the API only.
OUTSIDE_MODES = ("refuse", "api_only")
#: CNIs whose node bridge holds the gateway of the node's IPv4 podCIDR (the bridge plugin, flannel's):
#: when the Node is registered again with a new podCIDR, that address must be removed on the host.
HOST_BRIDGE_CNIS = ("flannel", "bridge")


def node_names(node_objects: Sequence[Mapping[str, Any]]) -> List[str]:
    """The names of the Node objects, sorted."""
    return sorted(str((n.get("metadata") or {}).get("name")) for n in node_objects if (n.get("metadata") or {}).get("name"))


def converted_nodes(node_objects: Sequence[Mapping[str, Any]], families: Sequence[str]) -> List[str]:
    """Names of the Nodes whose ``spec.podCIDRs`` are one per family of ``families``, in that order.

    What the nodes role calls done: such a Node is not re-registered again, so a run after the conversion does not
    read it again either (unless an interrupted run left its record).
    """
    return sorted(str((node.get("metadata") or {}).get("name")) for node in node_objects if node_converted(node, families))


def node_converted(node: Mapping[str, Any], families: Sequence[str]) -> bool:
    """One Node: ``spec.podCIDRs`` one per family of ``families``, in that order (False for ``{}``, no such Node)."""
    cidrs = ((node or {}).get("spec") or {}).get("podCIDRs") or []
    return bool(families) and [ip_family(cidr) for cidr in cidrs] == list(families)


def check_inventory_covers(node_objects: Sequence[Mapping[str, Any]], hosts: Sequence[str], mode: Any = "refuse",
                           families: Sequence[str] = (), reregister: bool = False, cni: Any = "") -> List[str]:
    """Every Node must be a host of ``k8s_cluster`` (the inventory name is the Node name), unless ``mode`` is ``api_only``.

    With ``api_only`` the Nodes outside the inventory are returned, to be converted through the API only:
    their kubelets are not touched, so each must already report an InternalIP of every family of
    ``families`` (a kubelet does that when it runs ``--node-ip`` with one address per family, or when a
    cloud provider's cloud-controller-manager sets the node addresses of both families); and when Nodes are
    registered again (``reregister``), the CNI ``cni`` must not keep a gateway on a node bridge that only a
    host in the inventory can have removed (:data:`HOST_BRIDGE_CNIS`).
    """
    mode = str(mode or "refuse")
    if mode not in OUTSIDE_MODES:
        raise DualStackError("dualstack_nodes_outside_inventory=%r is not one of %s" % (mode, ", ".join(OUTSIDE_MODES)))
    inventory = set(hosts)
    outside = [name for name in node_names(node_objects) if name not in inventory]
    if outside and mode == "refuse":
        raise DualStackError(
            "%d Node(s) of the cluster are not in the inventory's k8s_cluster group: %s. The conversion would leave them "
            "single-stack (their kubelets keep one --node-ip, their podCIDRs one family) and verify would fail after "
            "every other change. Add them to kube_node (inventory name = Node name), or drain and delete them first, or, "
            "when their kubelets already report an InternalIP of each family, set dualstack_nodes_outside_inventory: "
            "api_only" % (len(outside), ", ".join(outside))
        )
    problems = []
    by_name = {str((n.get("metadata") or {}).get("name")): n for n in node_objects}
    for name in outside:
        ips = [str(a.get("address")) for a in ((by_name[name].get("status") or {}).get("addresses") or [])
               if a.get("type") == "InternalIP"]
        have = {"IPv6" if ":" in ip else "IPv4" for ip in ips}
        lacking = [f for f in families if f not in have]
        if lacking:
            problems.append("%s reports InternalIP %s only, no %s: a kubelet reports both families only when it runs "
                            "--node-ip with one address per family or a cloud-controller-manager sets both; put it in "
                            "kube_node so that its kubelet gets them" % (name, ", ".join(ips) or "(none)", "/".join(lacking)))
        elif reregister and str(cni) in HOST_BRIDGE_CNIS:
            problems.append("%s would be registered again with a new IPv4 podCIDR, and the %s CNI's bridge on it keeps the "
                            "old gateway (the bridge plugin then refuses every new pod) until a task on the host removes "
                            "it; put it in kube_node" % (name, cni))
    if problems:
        raise DualStackError("dualstack_nodes_outside_inventory: api_only cannot convert: %s" % "; ".join(problems))
    return outside


def check_reregistrable(node_objects: Sequence[Mapping[str, Any]], kubelet_flags: Mapping[str, Mapping[str, Any]]) -> None:
    """Nodes that are deleted and registered again must come back by themselves and must not be remediated meanwhile."""
    problems = []
    for host, flags in sorted(kubelet_flags.items()):
        if str((flags or {}).get("register-node", "true")).lower() == "false":
            problems.append("%s: its kubelet runs --register-node=false, so a deleted Node never registers again" % host)
    for node in node_objects:
        meta = node.get("metadata") or {}
        machine = (meta.get("annotations") or {}).get(CAPI_MACHINE_ANNOTATION)
        if machine:
            problems.append("%s: a Cluster API Machine (%s); a MachineHealthCheck sees NodeNotFound while it is re-registered "
                            "and may replace the machine" % (meta.get("name"), machine))
    if problems:
        raise DualStackError(
            "the CNI's IPAM takes node podCIDRs, so every Node is deleted and registered again, which these cannot take: "
            "%s. Convert them with their own tooling (Cluster API: change the templates and roll the machines; "
            "--register-node=false: create the Node yourself), or declare dualstack_cni: external with "
            "dualstack_cni_reregister: false" % "; ".join(problems)
        )


def check_kubelet_versions(node_objects: Sequence[Mapping[str, Any]]) -> Dict[str, str]:
    """Every kubelet must run a convertible release (it takes the dual ``--node-ip``)."""
    versions = kubelet_versions(node_objects)
    for name, version in sorted(versions.items()):
        require_convertible_version(parse_version(version), version, what="the kubelet of Node %s" % name)
    return versions
