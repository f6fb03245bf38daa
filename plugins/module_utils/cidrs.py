# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""CIDR rules for dual-stack clusters, one rule per function.

Built on the standard library's :mod:`ipaddress` (no netaddr): it parses strictly
(rejects leading zeros and out-of-range prefixes), normalises IPv6 to RFC 5952
compressed lower-case form, and is fast enough that validating a whole inventory
costs microseconds.

Every rule cites the upstream Kubernetes code it mirrors and keeps the key words of
the upstream error text so that an operator can search for them.
"""

from __future__ import annotations

import ipaddress
from typing import Any, List, Optional, Sequence, Union

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.versions import (
    SERVICE_RANGE_UNLIMITED,
    Version,
    at_least,
    parse_version,
)

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

#: kube-controller-manager ``defaultNodeMaskCIDRIPv4`` / ``defaultNodeMaskCIDRIPv6`` (core.go).
DEFAULT_NODE_MASK = {4: 24, 6: 64}
#: kube-apiserver ``maxCIDRBits`` and kubeadm ``MaximumBitsForServiceSubnet``.
MAX_SERVICE_HOST_BITS = 20
#: kubeadm ``MinimumAddressesInServiceSubnet``: the DNS Service is always the tenth ClusterIP.
MIN_SERVICE_ADDRESSES = 10
#: cidrset ``clusterSubnetMaxDiff`` and kubeadm ``PodSubnetNodeMaskMaxDiff``.
MAX_NODE_MASK_DIFF = 16
#: Example ranges quoted in fixes (kind's dual-stack defaults).
EXAMPLE_RANGE = {
    ("pod", 4): "10.244.0.0/16",
    ("pod", 6): "fd00:10:244::/56",
    ("service", 4): "10.96.0.0/16",
    ("service", 6): "fd00:10:96::/112",
}
#: The flag each kind of range is given to; used in messages.
FLAG_FOR_KIND = {"pod": "--cluster-cidr", "service": "--service-cluster-ip-range"}
#: Special-purpose blocks no pod or Service address may come from (RFC 6890, RFC 4291).
SPECIAL_PURPOSE_BLOCKS = tuple(
    (ipaddress.ip_network(block), what)
    for block, what in (
        ("0.0.0.0/8", "this-host"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    )
)

PAIR_RULE = (
    "expected one (IPv4 or IPv6) CIDR or two CIDRs from each family for dual-stack networking"
)


def family_name(version: int) -> str:
    """Kubernetes' spelling of an IP family: ``IPv4`` or ``IPv6``."""
    return "IPv4" if version == 4 else "IPv6"


def families_of(cidrs: Sequence[str]) -> List[str]:
    """The family of each (already validated) CIDR, in order, e.g. ``['IPv4', 'IPv6']``."""
    return [family_name(parse_cidr(cidr).version) for cidr in cidrs]


def ip_family(value: Any) -> str:
    """Return ``IPv4`` or ``IPv6`` for an IP address or a CIDR (host bits allowed)."""
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return family_name(ipaddress.ip_interface(text).version)
        except ValueError:
            pass
    raise DualStackError(
        "%r is neither an IP address nor a CIDR: give an IPv4 or IPv6 address such as "
        "'192.0.2.10' or '2001:db8::10', or a CIDR such as '10.244.0.0/16' or 'fd00:10:244::/56'"
        % (value,)
    )


def parse_cidr(value: Any) -> Network:
    """Parse one CIDR strictly: it needs a prefix length and no host bits set.

    Go's ``net.ParseCIDR`` (used by every component) requires the ``/prefix``; host bits
    are rejected here because a range such as ``10.244.0.1/16`` is always a typo for its
    network address, which the message names as the fix.
    """
    text = value.strip() if isinstance(value, str) else None
    if not text or "/" not in text:
        raise DualStackError(
            "%r is not a CIDR (invalid CIDR address): expected ADDRESS/PREFIX such as "
            "'10.244.0.0/16' or 'fd00:10:244::/56'" % (value,)
        )
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        pass
    try:
        interface = ipaddress.ip_interface(text)
    except ValueError:
        raise DualStackError(
            "%r is not a CIDR (invalid CIDR address): the address or the prefix length is not "
            "valid for its family (IPv4 /0-/32, IPv6 /0-/128, no leading zeros)" % (value,)
        ) from None
    raise DualStackError(
        "%r has host bits set: a range must be given by its network address; did you mean "
        "%s?" % (value, interface.network)
    )


def split_cidr_list(value: Any) -> List[str]:
    """Split a comma-separated string (spaces around commas allowed) or a list into items."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = [item.strip() if isinstance(item, str) else item for item in value]
    else:
        items = []
    if not items or items == [""]:
        raise DualStackError(
            "no CIDR given (%r): expected one CIDR, or an IPv4 and an IPv6 CIDR as a "
            "comma-separated string or a list, e.g. '10.244.0.0/16,fd00:10:244::/56'" % (value,)
        )
    for item in items:
        if item == "":
            raise DualStackError(
                "%r has an empty entry: remove the stray comma" % (value,)
            )
    return items


def check_dual_stack_pair(networks: Sequence[Network], flag: str, original: Any) -> None:
    """At most two ranges, and two ranges must be of different families.

    Mirrors kube-apiserver ``validateClusterIPFlags`` ("must not contain more than two
    entries", "must be of different IP family"), kube-controller-manager
    ``validateCIDRs`` and kubeadm ``ValidateIPNetFromString``.
    """
    if len(networks) > 2:
        raise DualStackError(
            "%r has %d entries: %s must not contain more than two entries (%s). Keep one IPv4 "
            "and one IPv6 range, the current primary first" % (original, len(networks), flag, PAIR_RULE)
        )
    if len(networks) == 2 and networks[0].version == networks[1].version:
        other = 6 if networks[0].version == 4 else 4
        raise DualStackError(
            "%r has two %s ranges: %s[0] and %s[1] must be of different IP family (%s). Replace "
            "the second with an %s range"
            % (original, family_name(networks[0].version), flag, flag, PAIR_RULE, family_name(other))
        )


def service_range_limited(kube_version: Optional[Version]) -> bool:
    """Whether kube-apiserver limits the size of ``--service-cluster-ip-range``.

    The check in ``cmd/kube-apiserver/app/options/validation.go`` runs unless both
    MultiCIDRServiceAllocator and DisableAllocatorDualWrite are on, which is their
    default from 1.34. With no version known, the limit is assumed (the safe answer).
    """
    return kube_version is None or not at_least(kube_version, SERVICE_RANGE_UNLIMITED)


def check_service_range_size(network: Network, flag: str, kube_version: Optional[Version]) -> None:
    """A Service range may hold at most 2^20 addresses (mask >= /12 IPv4, >= /108 IPv6).

    kube-apiserver: "specified %s is too large; for %d-bit addresses, the mask must be >= %d".
    """
    bits = network.max_prefixlen
    minimum_mask = bits - MAX_SERVICE_HOST_BITS
    if service_range_limited(kube_version) and network.prefixlen < minimum_mask:
        example = EXAMPLE_RANGE[("service", network.version)]
        raise DualStackError(
            "%s is too large for kube-apiserver before 1.34%s: specified %s is too large; for "
            "%d-bit addresses, the mask must be >= %d. Use a /%d or longer range such as %s%s, "
            "or set kube_version to 1.34 or newer if the cluster runs it"
            % (
                network,
                "" if kube_version is not None else " (no kube_version given, so the limit is assumed)",
                flag,
                bits,
                minimum_mask,
                minimum_mask,
                example,
                " (the allocator uses only the low 16 bits of an IPv6 range, so /112 is the useful size)"
                if network.version == 6
                else "",
            )
        )


def check_service_range_minimum(network: Network, flag: str) -> None:
    """A Service range needs at least 10 addresses: the DNS Service takes the tenth.

    kubeadm ``ValidateIPNetFromString``: "subnet with %d address(es) is too small, the
    minimum is %d" (``MinimumAddressesInServiceSubnet = 10``).
    """
    if network.num_addresses < MIN_SERVICE_ADDRESSES:
        longest = network.max_prefixlen - 4
        raise DualStackError(
            "%s for %s: subnet with %d address(es) is too small, the minimum is %d (the DNS "
            "Service is always the tenth ClusterIP). Use a /%d or shorter prefix"
            % (network, flag, network.num_addresses, MIN_SERVICE_ADDRESSES, longest)
        )


def check_routable_range(network: Network, flag: str, kind: str = "pod") -> None:
    """A cluster range must be ordinary unicast space: it may not overlap a special-purpose block.

    Pod and ClusterIP addresses are routed between nodes and programmed by kube-proxy; the
    special-purpose blocks of RFC 6890 and RFC 4291 (sections 2.5.2, 2.5.3, 2.5.5.2, 2.5.6, 2.7)
    are never forwarded that way: ``0.0.0.0/8`` and ``::`` mean "this host", ``127.0.0.0/8`` and
    ``::1`` never leave a host, link-local is per link, multicast is not unicast and IPv4-mapped
    addresses are IPv4 traffic. Any overlap would hand such an address to a pod or a Service.
    """
    for block, what in SPECIAL_PURPOSE_BLOCKS:
        if network.version == block.version and network.overlaps(block):
            raise DualStackError(
                "%s for %s overlaps %s (%s address space): pods and Services need ordinary unicast "
                "ranges that nodes route (RFC 6890). Use a private range such as %s"
                % (network, flag, block, what, EXAMPLE_RANGE[(kind, network.version)])
            )


def dualstack_cidrs(value: Any, kind: str = "pod", kube_version: Any = None) -> List[str]:
    """Normalise and validate one or two cluster ranges (pod or service), order kept.

    ``kube_version`` (any form :func:`parse_version` accepts; None or empty when unknown)
    only matters for Service ranges, whose size limit went away in 1.34.
    """
    version = parse_version(kube_version) if kube_version not in (None, "") else None
    if kind not in FLAG_FOR_KIND:
        raise DualStackError("kind %r is not known: use 'pod' or 'service'" % (kind,))
    flag = FLAG_FOR_KIND[kind]
    networks = [parse_cidr(item) for item in split_cidr_list(value)]
    check_dual_stack_pair(networks, flag, value)
    for network in networks:
        check_routable_range(network, flag, kind)
    if kind == "service":
        for index, network in enumerate(networks):
            indexed_flag = flag if index == 0 else "%s[%d]" % (flag, index)
            check_service_range_size(network, indexed_flag, version)
            check_service_range_minimum(network, indexed_flag)
    return [str(network) for network in networks]


def positive_int(value: Any, name: str) -> int:
    """Accept a positive integer, or a string of digits (Ansible templating yields strings)."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        number = None
    if number is None or number < 1:
        raise DualStackError("%s must be a positive integer, got %r" % (name, value))
    return number


def mask_fits_pods(mask: int, bits: int, max_pods: int) -> bool:
    """A node block of ``/mask`` holds ``2^(bits-mask) - 2`` pod addresses (network/broadcast kept free)."""
    return 2 ** (bits - mask) - 2 >= max_pods


def node_mask_candidates(network: Network) -> range:
    """Node masks kube-controller-manager accepts for a cluster range: P .. min(P+16, bits)."""
    return range(network.prefixlen, min(network.prefixlen + MAX_NODE_MASK_DIFF, network.max_prefixlen) + 1)


def node_cidr_mask_size(cluster_cidr: Any, nodes: Any = 1, max_pods: Any = 110) -> int:
    """Pick the node mask for one cluster range.

    A mask M is feasible when the range holds ``nodes`` blocks (``2^(M-P) >= nodes``) and a
    block holds ``max_pods`` pods. Of the feasible masks the one closest to the Kubernetes
    default (24 for IPv4, 64 for IPv6) wins, the shorter mask on a tie.
    """
    if isinstance(cluster_cidr, (list, tuple)) or (isinstance(cluster_cidr, str) and "," in cluster_cidr):
        raise DualStackError(
            "%r: node_cidr_mask_size takes one cluster CIDR; call it once per family" % (cluster_cidr,)
        )
    network = parse_cidr(cluster_cidr)
    node_count = positive_int(nodes, "nodes")
    pods = positive_int(max_pods, "max_pods")
    bits = network.max_prefixlen
    candidates = node_mask_candidates(network)
    feasible = [m for m in candidates if 2 ** (m - network.prefixlen) >= node_count and mask_fits_pods(m, bits, pods)]
    if feasible:
        default = DEFAULT_NODE_MASK[network.version]
        return min(feasible, key=lambda m: (abs(m - default), m))
    raise DualStackError(describe_capacity_shortfall(network, node_count, pods))


def longest_mask_for_pods(bits: int, max_pods: int) -> Optional[int]:
    """The longest mask whose block still holds ``max_pods`` pods, or None if none does."""
    fitting = [m for m in range(bits + 1) if mask_fits_pods(m, bits, max_pods)]
    return max(fitting) if fitting else None


def describe_capacity_shortfall(network: Network, nodes: int, max_pods: int) -> str:
    """Explain why a cluster range cannot hold ``nodes`` nodes at ``max_pods`` pods and what fits."""
    bits = network.max_prefixlen
    pod_mask = longest_mask_for_pods(bits, max_pods)
    top = node_mask_candidates(network)[-1]
    capacity = 0
    if pod_mask is not None and pod_mask >= network.prefixlen:
        capacity = 2 ** (min(pod_mask, top) - network.prefixlen)
    node_bits = (nodes - 1).bit_length()
    if pod_mask is None:
        fix = "lower max_pods: no %s block holds %d pods" % (family_name(network.version), max_pods)
    elif node_bits > MAX_NODE_MASK_DIFF or pod_mask - node_bits < 0:
        fix = (
            "no single range can: the node mask may be at most %d bits longer than the cluster mask; "
            "lower max_pods or the node count" % MAX_NODE_MASK_DIFF
        )
    else:
        fix = "use a /%d or larger cluster range, or lower max_pods" % (pod_mask - node_bits)
    return (
        "%s cannot hold %d node(s) at %d pods per node: the range can hold %d node(s) at that max_pods "
        "(a node needs 2^(%d-M)-2 >= %d addresses, and the node mask M may be at most %d bits longer than "
        "the cluster mask; kube-controller-manager would fail with 'CIDR allocation failed; there are no "
        "remaining CIDRs left to allocate'). Fix: %s"
        % (network, nodes, max_pods, capacity, bits, max_pods, MAX_NODE_MASK_DIFF, fix)
    )


def check_node_mask(network: Network, mask: Any) -> int:
    """Validate an explicit node mask against its cluster range.

    kube-controller-manager: "mask size of cluster CIDR must be less than or equal to
    --node-cidr-mask-size configured for CIDR family"; cidrset/kubeadm: "the node CIDR
    size is too big" / "pod subnet mask (%d) and node-mask (%d) difference is greater than 16".
    """
    size = positive_int(mask, "node mask size")
    flag = "--node-cidr-mask-size-ipv%d" % network.version
    if size > network.max_prefixlen:
        raise DualStackError("%s=%d is longer than an %s address" % (flag, size, family_name(network.version)))
    if size < network.prefixlen:
        raise DualStackError(
            "%s=%d for %s: mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size "
            "configured for CIDR family. Use %s=%d or longer" % (flag, size, network, flag, network.prefixlen)
        )
    if size - network.prefixlen > MAX_NODE_MASK_DIFF:
        raise DualStackError(
            "%s=%d for %s: pod subnet mask (%d) and node-mask (%d) difference is greater than %d "
            "(New CIDR set failed; the node CIDR size is too big). Use a cluster range of /%d or longer, "
            "or a node mask of /%d or shorter"
            % (
                flag, size, network, network.prefixlen, size, MAX_NODE_MASK_DIFF,
                size - MAX_NODE_MASK_DIFF, network.prefixlen + MAX_NODE_MASK_DIFF,
            )
        )
    return size
