# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Whether a node's flanneld runs with the node's current podCIDRs (review finding C2).

flanneld in kube subnet manager mode reads ``node.spec.podCIDRs`` once, in ``AcquireLease``
("called once ... when registering", flannel ``pkg/subnet/kube/kube.go``), and writes the lease
into ``/run/flannel/subnet.env`` (``FLANNEL_SUBNET``, ``FLANNEL_IPV6_SUBNET``: the bridge gateway
address with the subnet's prefix), which its CNI plugin hands to the bridge and host-local
plugins for every new pod. A Node re-registered for a podCIDR per family gets a new IPv4 block,
so its flanneld must be restarted and its ``subnet.env`` must show the new blocks before the
node's pods are recreated; otherwise they get addresses its peers no longer route.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: subnet.env keys of the node's lease, per family.
LEASE_KEYS = {4: "FLANNEL_SUBNET", 6: "FLANNEL_IPV6_SUBNET"}


def parse_subnet_env(text: Any) -> Dict[str, str]:
    """``KEY=value`` lines of flannel's subnet.env (comments and blank lines skipped)."""
    values = {}
    for line in str(text or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def lease_mismatches(subnet_env: Any, pod_cidrs: Any) -> List[str]:
    """What in ``subnet_env`` does not match the Node's ``pod_cidrs`` (empty when flanneld is current).

    Every lease in the file must be the podCIDR of its family, and the IPv4 lease must be there
    (flannel's IPv6 is switched on only after every node has an IPv6 podCIDR, so an IPv6 podCIDR
    without an IPv6 lease is expected until then).
    """
    cidrs = pod_cidrs.split(",") if isinstance(pod_cidrs, str) else list(pod_cidrs or [])
    try:
        nodes = {net.version: net for net in (ipaddress.ip_network(str(c).strip()) for c in cidrs if str(c).strip())}
    except ValueError as err:
        raise DualStackError("Node podCIDRs %r: %s" % (pod_cidrs, err)) from None
    env = parse_subnet_env(subnet_env)
    problems = []
    for version, key in sorted(LEASE_KEYS.items()):
        if key not in env:
            if version == 4 and 4 in nodes:
                problems.append("%s missing (podCIDR %s)" % (key, nodes[4]))
            continue
        try:
            lease = ipaddress.ip_interface(env[key]).network
        except ValueError:
            problems.append("%s=%s is not an address with a prefix" % (key, env[key]))
            continue
        if nodes.get(version) != lease:
            problems.append("%s=%s but the Node's podCIDR is %s" % (key, env[key], nodes.get(version, "none")))
    return problems


#: The Node annotations flanneld writes for its IPv6 lease (kube subnet manager, default prefix).
IPV6_LEASE_ANNOTATIONS = ("public-ipv6", "backend-v6-data")


def nodes_without_ipv6_lease(nodes: Any, prefix: Any = "flannel.alpha.coreos.com/") -> List[str]:
    """The Nodes (``kubectl get nodes -o json``) whose flanneld does not announce an IPv6 lease yet.

    A flanneld started with ``EnableIPv6`` writes ``<prefix>public-ipv6`` and ``<prefix>backend-v6-data``
    on its Node. Its peers build their IPv6 routes, VXLAN neighbours and FDB entries from them.
    """
    items = nodes.get("items", []) if isinstance(nodes, dict) else list(nodes or [])
    missing = []
    for node in items:
        annotations = (node.get("metadata") or {}).get("annotations") or {}
        if not all(annotations.get(str(prefix) + key) for key in IPV6_LEASE_ANNOTATIONS):
            missing.append(str((node.get("metadata") or {}).get("name")))
    return sorted(missing)
