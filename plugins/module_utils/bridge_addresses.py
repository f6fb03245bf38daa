# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The addresses a node's CNI bridge must lose when its Node gets new podCIDRs.

The bridge CNI plugin (used directly, or by flannel, which delegates to it) gives the bridge the
gateway address of the node's podCIDR and refuses to add a pod while the bridge holds another
address of that family ("cni0 already has an IP address different from ..."). A re-registered
Node gets a new IPv4 podCIDR too, so the bridge's old gateway must go before the node's pods start
again (review finding C2).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, List

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


def stale_bridge_addresses(ip_addr_json: Any, keep: Any) -> List[str]:
    """``addr/prefixlen`` of each global address of the bridge outside every network of ``keep`` of its family.

    ``ip_addr_json``: ``ip -j addr show dev <bridge>`` (text or parsed). ``keep``: the Node's podCIDRs
    (list or comma string). Link-local and host addresses are left alone; so is a family ``keep``
    has no network of (nothing to compare it with).
    """
    links = json.loads(ip_addr_json or "[]") if isinstance(ip_addr_json, str) else (ip_addr_json or [])
    items = keep.split(",") if isinstance(keep, str) else list(keep or [])
    try:
        networks = [ipaddress.ip_network(str(c).strip(), strict=False) for c in items if str(c).strip()]
    except ValueError as err:
        raise DualStackError("keep %r is not a list of CIDRs (%s): give the Node's spec.podCIDRs" % (keep, err)) from None
    stale = []
    for link in links:
        for info in link.get("addr_info") or []:
            if info.get("scope") != "global" or not info.get("local"):
                continue
            address = ipaddress.ip_address(info["local"])
            same_family = [n for n in networks if n.version == address.version]
            if same_family and not any(address in n for n in same_family):
                stale.append("%s/%s" % (info["local"], info.get("prefixlen")))
    return stale
