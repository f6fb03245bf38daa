# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which addresses lie outside a set of ranges (the verify role's clusterIPs against the Service ranges)."""

from __future__ import annotations

import ipaddress
from typing import Any, List

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


def ips_outside_ranges(ips: Any, ranges: Any) -> List[str]:
    """Return the addresses of ``ips`` that lie in none of ``ranges`` (CIDRs), in order.

    A string of ``ranges`` may be comma-separated.  An entry of ``ips`` that is not an
    address (``None`` of a headless Service, garbage) counts as outside.
    """
    if isinstance(ranges, str):
        ranges = [item for item in ranges.split(",") if item.strip()]
    try:
        networks = [ipaddress.ip_network(str(item).strip(), strict=False) for item in ranges or []]
    except ValueError as err:
        raise DualStackError("ranges %r: %s" % (ranges, err)) from None
    outside = []
    for item in ips if isinstance(ips, (list, tuple)) else [ips]:
        try:
            address = ipaddress.ip_address(str(item).strip())
        except ValueError:
            outside.append(str(item))
            continue
        if not any(address.version == net.version and address in net for net in networks):
            outside.append(str(item))
    return outside
