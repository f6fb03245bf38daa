# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Kubernetes version parsing and the version thresholds dual-stack depends on."""

from __future__ import annotations

import re
from typing import Any, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

Version = Tuple[int, int]

# v1.30.0-rc.1, 1.24.3, 1.24, v1.34.4+k3s1 ... major.minor[.patch][-pre][+build]
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")

#: First release with the IPv6DualStack feature gate implemented (alpha, KEP-563).
FIRST_DUAL_STACK = (1, 16)
#: The Service API moved from ``spec.ipFamily`` to ``ipFamilies``/``ipFamilyPolicy`` (k8s PR #91824).
SERVICE_API_REDESIGN = (1, 20)
#: IPv6DualStack went beta and default-on (feature-gate page).
GATE_DEFAULT_ON = (1, 21)
#: IPv6DualStack was removed from every core component; naming it is fatal.
GATE_REMOVED = (1, 25)
#: MultiCIDRServiceAllocator and DisableAllocatorDualWrite are GA/on by default, so
#: kube-apiserver no longer limits the size of ``--service-cluster-ip-range``.
SERVICE_RANGE_UNLIMITED = (1, 34)


def parse_version(value: Any) -> Version:
    """Return ``(major, minor)`` of a Kubernetes version string.

    Accepts ``1.24``, ``1.24.3``, ``v1.24.3`` and ``v1.30.0-rc.1`` (pre-release and
    build suffixes are ignored: a 1.30 release candidate behaves as 1.30).
    """
    text = str(value).strip() if value is not None else ""
    match = _VERSION_RE.match(text)
    if isinstance(value, bool) or not match:
        raise DualStackError(
            "%r is not a Kubernetes version: expected MAJOR.MINOR[.PATCH] with an optional "
            "leading 'v' and pre-release suffix, e.g. '1.24', 'v1.30.2' or 'v1.30.0-rc.1'" % (value,)
        )
    return int(match.group(1)), int(match.group(2))


def at_least(version: Version, threshold: Version) -> bool:
    """True when ``version`` is ``threshold`` or newer (major/minor comparison)."""
    return version >= threshold


def require_dual_stack_version(version: Version, original: Any) -> None:
    """Fail for versions older than 1.16, which have no dual-stack implementation at all."""
    if not at_least(version, FIRST_DUAL_STACK):
        raise DualStackError(
            "Kubernetes %s has no IPv4/IPv6 dual-stack support: the IPv6DualStack feature was first "
            "implemented in 1.16 (KEP-563). Upgrade the cluster to 1.16 or newer (1.23+ for GA) first"
            % (original,)
        )
