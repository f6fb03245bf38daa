# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which IPAM hands out a CNI's pod addresses, whether it reads ``node.spec.podCIDRs``, and which Nodes lack an IPv6 one.

A CNI whose IPAM takes pod addresses from ``node.spec.podCIDRs`` (bridge and kindnet with host-local,
flannel, Calico with host-local, Cilium ``ipam: kubernetes``) gives no IPv6 address on a node that
was registered before the conversion: kube-controller-manager never adds a CIDR to a Node that
already has one, and ``spec.podCIDRs`` is immutable (``ValidateNodeUpdate``: "node updates may not
change podCIDR except from "" to valid"). Such nodes are re-registered (drain, delete the Node,
restart the kubelet): :func:`nodes_without_pod_cidr` names them. A pool-based IPAM (calico-ipam,
Cilium cluster-pool and multi-pool) ignores the podCIDRs and needs only its IPv6 pool.

Sources: ``/work/shared/reference/dual-stack-facts.md`` §1.8 and §4 (item 1: k3s issues #4404 and
#6394, k8s #93446). Objects in and out as :mod:`cni_objects` describes.
"""

from __future__ import annotations

from typing import Any, List

from ansible_collections.dualstack.kubernetes.plugins.module_utils.calico import calico_plugin
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_objects import (
    canonical_cidr_or_error,
    dual_pod_ranges,
    load_embedded_json,
    object_name,
    objects_of,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: Which IPAM hands out pod addresses, per CNI, and whether it reads ``node.spec.podCIDRs``.
#: A CNI whose IPAM reads them needs every existing node re-registered (the podCIDRs of a Node
#: are immutable once set); a pool-based IPAM just needs its IPv6 pool.
IPAM_USES_NODE_CIDRS = {
    ("bridge", "host-local"): True,
    ("kindnet", "host-local"): True,
    ("flannel", "flannel"): True,
    ("calico", "calico-ipam"): False,
    ("calico", "host-local"): True,
    ("cilium", "cluster-pool"): False,
    ("cilium", "multi-pool"): False,
    ("cilium", "kubernetes"): True,
}
DEFAULT_IPAM = {"bridge": "host-local", "kindnet": "host-local", "flannel": "flannel", "calico": "calico-ipam", "cilium": "cluster-pool"}


def detect_ipam(kind: str, objects: Any = None) -> str:
    """The IPAM in use, read from the CNI's configuration objects where it has a choice."""
    items = objects_of(objects, "cni_ipam")
    if kind == "calico":
        for item in items:
            data = item.get("data") or {}
            if item["kind"] == "ConfigMap" and "cni_network_config" in data:
                conf = load_embedded_json(data["cni_network_config"], "%s data.cni_network_config" % object_name(item))
                plugin = calico_plugin(conf, object_name(item))
                return str((plugin.get("ipam") or {}).get("type") or "calico-ipam")
    if kind == "cilium":
        for item in items:
            data = item.get("data") or {}
            if item["kind"] == "ConfigMap" and "ipam" in data:
                return str(data["ipam"]).strip() or DEFAULT_IPAM["cilium"]
    return DEFAULT_IPAM[kind]


def cni_ipam(kind: Any, objects: Any = None) -> bool:
    """Whether the CNI's IPAM takes pod addresses from ``node.spec.podCIDRs``.

    True means every existing node must be re-registered (drain, delete the Node, restart the
    kubelet) to get an IPv6 podCIDR: kube-controller-manager never adds one to a Node that
    already has CIDRs, and ``spec.podCIDRs`` is immutable ("node updates may not change podCIDR
    except from \"\" to valid"). bridge/host-local, kindnet, flannel, Calico with host-local and
    Cilium ``ipam: kubernetes`` read it; calico-ipam and Cilium cluster-pool/multi-pool do not.
    """
    name = str(kind).strip().lower() if isinstance(kind, str) else kind
    if name not in DEFAULT_IPAM:
        raise DualStackError(
            "CNI %r is not known: use one of %s (the IPAM of another CNI has to be judged by hand: does it "
            "read node.spec.podCIDRs?)" % (kind, ", ".join(sorted(DEFAULT_IPAM)))
        )
    ipam = detect_ipam(name, objects)
    if (name, ipam) not in IPAM_USES_NODE_CIDRS:
        known = sorted(i for (k, i) in IPAM_USES_NODE_CIDRS if k == name)
        raise DualStackError(
            "%s IPAM %r is not known: known %s IPAM modes are %s; judge by hand whether it reads "
            "node.spec.podCIDRs" % (name, ipam, name, ", ".join(known))
        )
    return IPAM_USES_NODE_CIDRS[(name, ipam)]


def nodes_without_pod_cidr(nodes: Any, pod_cidrs: Any) -> List[str]:
    """Names of the Nodes whose ``spec.podCIDRs`` hold no IPv6 block inside the cluster's IPv6 pod range.

    Such nodes were registered before the conversion and must be re-registered before a CNI whose
    IPAM reads node podCIDRs (flannel) is told to use IPv6: flannel builds every node's lease from
    its podCIDRs, and a node without an IPv6 one gets no IPv6 subnet.
    """
    v6 = dual_pod_ranges(pod_cidrs)[1]
    missing = []
    for node in objects_of(nodes, "nodes_without_pod_cidr"):
        if node["kind"] != "Node":
            raise DualStackError("nodes_without_pod_cidr: %s is not a Node: pass 'kubectl get nodes -o json'" % object_name(node))
        spec = node.get("spec") or {}
        cidrs = spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
        found = False
        for cidr in cidrs:
            network = canonical_cidr_or_error(cidr, "%s spec.podCIDRs" % object_name(node))
            if network.version == 6 and network.subnet_of(v6):  # type: ignore[arg-type]
                found = True
        if not found:
            missing.append(str((node.get("metadata") or {}).get("name", "?")))
    return missing
