# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""DNS of dual-stack Services as seen from a pod: ``nslookup`` output parsed, the cluster domain
read from the pod's resolv.conf, and the records checked against the Service or its pods.

A RequireDualStack Service's name resolves to one A and one AAAA record, its clusterIPs; a
headless one (``clusterIP: None``) to the A and AAAA records of its ready pods.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, List, Optional

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

FAMILY_OF_VERSION = {4: "IPv4", 6: "IPv6"}
RECORD_OF_FAMILY = {"IPv4": "A", "IPv6": "AAAA"}

# "Address: 10.96.0.10", "Address:\t10.96.0.10#53" (bind) or "...:53" (busybox),
# "Address 1: 10.96.0.1 kubernetes.default..." (busybox before 1.28),
# "name has AAAA address fd00::1" (older bind for -type=aaaa).
_ADDRESS_RE = re.compile(r"^\s*Address(?:\s+\d+)?:\s*(\S+)")
_HAS_ADDRESS_RE = re.compile(r"\shas (?:AAAA )?address\s+(\S+)\s*$")


def _address(token: str) -> Optional[str]:
    """Return the IP address of an nslookup token, or None (strips ``#53`` and a server's ``:53``)."""
    token = token.strip().strip("[]")
    for candidate in (token, token.split("#", 1)[0]):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def nslookup_addresses(output: Any) -> List[str]:
    """Return the answer addresses of an ``nslookup`` output, in order (duplicates kept).

    The ``Server:`` block (the resolver and its ``Address:`` line) is skipped; bind's
    (``Name:``/``Address:`` and ``has AAAA address``) and busybox's formats (1.28 and newer,
    and the older ``Address 1:`` one) are read.  Error lines (``** server can't find``,
    ``*** Can't find ...: No answer``) give no address.
    """
    text = output if isinstance(output, str) else ""
    addresses: List[str] = []
    in_server_block = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Server:"):
            in_server_block = True
            continue
        if in_server_block:
            if not stripped:
                in_server_block = False
            continue
        match = _ADDRESS_RE.match(line) or _HAS_ADDRESS_RE.search(line)
        if match:
            address = _address(match.group(1))
            if address is not None:
                addresses.append(address)
    return addresses


def cluster_domain(resolv_conf: Any, namespace: str) -> str:
    """Return the cluster domain from a pod's resolv.conf: its ``search`` entry
    ``<namespace>.svc.<domain>`` (the kubelet writes it first), e.g. ``cluster.local``."""
    text = resolv_conf if isinstance(resolv_conf, str) else ""
    prefix = "%s.svc." % namespace
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "search":
            for entry in fields[1:]:
                entry = entry.rstrip(".")
                if entry.startswith(prefix) and len(entry) > len(prefix):
                    return entry[len(prefix):]
    raise DualStackError(
        "no 'search %s<domain>' line in the pod's /etc/resolv.conf: the pod does not use the cluster DNS "
        "(dnsPolicy ClusterFirst) or the kubelet has no clusterDomain" % prefix
    )


def _families(families: Any) -> List[str]:
    if not isinstance(families, (list, tuple)) or not families or any(f not in RECORD_OF_FAMILY for f in families):
        raise DualStackError("families %r: give the cluster's families, e.g. ['IPv4', 'IPv6']" % (families,))
    return list(families)


def _split(addresses: Any) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = {"IPv4": [], "IPv6": []}
    for item in addresses if isinstance(addresses, (list, tuple)) else []:
        address = _address(str(item))
        if address is not None:
            found[FAMILY_OF_VERSION[ipaddress.ip_address(address).version]].append(address)
    return found


def _canonical(addresses: Any) -> List[str]:
    return sorted(a for a in (_address(str(item)) for item in addresses or []) if a is not None)


def dns_records_check(a_records: Any, aaaa_records: Any, families: Any, cluster_ips: Any = None,
                      pod_ips: Any = None) -> Dict[str, Any]:
    """Check a Service name's A and AAAA answers; return ``{"ok": bool, "detail": str}``.

    With ``cluster_ips`` (a ClusterIP Service): exactly one record per cluster family, none of
    another family, and together they equal the clusterIPs.  With ``pod_ips`` instead (a
    headless Service): records of every cluster family and none of another, each a podIP.
    ``a_records``/``aaaa_records`` are the addresses of the ``-type=a`` and ``-type=aaaa``
    lookups; an address of the wrong family in either answer fails.
    """
    wanted = _families(families)
    if (cluster_ips is None) == (pod_ips is None):
        raise DualStackError("give either cluster_ips (a ClusterIP Service) or pod_ips (headless)")
    a_split, aaaa_split = _split(a_records), _split(aaaa_records)
    answers = {"IPv4": a_split["IPv4"], "IPv6": aaaa_split["IPv6"]}
    problems = []
    if a_split["IPv6"] or aaaa_split["IPv4"]:
        problems.append("an answer of the wrong family")
    for family in ("IPv4", "IPv6"):
        record = RECORD_OF_FAMILY[family]
        count = len(answers[family])
        if family not in wanted and count:
            problems.append("%d %s record(s) on a cluster without %s" % (count, record, family))
        elif family in wanted and cluster_ips is not None and count != 1:
            problems.append("%d %s records, 1 expected" % (count, record))
        elif family in wanted and pod_ips is not None and not count:
            problems.append("no %s record" % record)
    got = sorted(answers["IPv4"] + answers["IPv6"])
    if cluster_ips is not None:
        if not problems and got != _canonical(cluster_ips):
            problems.append("records are not the clusterIPs %s" % ", ".join(cluster_ips))
    else:
        allowed = set(_canonical(pod_ips))
        strays = [a for a in got if a not in allowed]
        if strays:
            problems.append("not a podIP: %s" % ", ".join(strays))
    detail = "A %s; AAAA %s" % (", ".join(answers["IPv4"]) or "-", ", ".join(answers["IPv6"]) or "-")
    return {"ok": not problems, "detail": detail + ("" if not problems else " (" + "; ".join(problems) + ")")}
