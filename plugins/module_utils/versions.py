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


#: The oldest release the roles convert: IPv6DualStack beta and on by default, so no gate has to be
#: written into kubeadm's kubelet ``config.yaml``; below it the kubelet takes no dual ``--node-ip``
#: (1.20, k8s PR #95239), Services have no ``ipFamilyPolicy`` (1.20, PR #91824) and kube-proxy needs
#: IPVS for dual-stack (1.16-1.19). Those paths are not implemented, so these versions are refused.
MIN_CONVERTIBLE = (1, 21)


def require_convertible_version(version: Version, original: Any, what: str = "the cluster") -> None:
    """Refuse releases the roles cannot convert (see :data:`MIN_CONVERTIBLE`), with the reason."""
    if not at_least(version, MIN_CONVERTIBLE):
        raise DualStackError(
            "%s runs Kubernetes %s; the collection converts 1.21 and newer: before 1.21 the IPv6DualStack gate is off "
            "by default and kubeadm keeps the kubelet's gates in config.yaml, which the roles do not edit; the kubelet "
            "takes a dual --node-ip only from 1.20, Services have ipFamilyPolicy only from 1.20, and kube-proxy needs "
            "IPVS mode for dual-stack before 1.20. Upgrade to 1.21 or newer first" % (what, original)
        )


#: The releases (minors) this version of the collection has converted, verified and rolled back on a live cluster
#: (the lab, ``make matrix``; README "Supported releases"). Preflight refuses others unless the operator accepts the
#: risk; the filters keep the rules of every release since 1.16 (upstream facts), which is not a claim that the
#: roles were run there. A minor joins only with a live run, so the set may have gaps.
LIVE_TESTED: Tuple[Version, ...] = ((1, 33), (1, 34), (1, 35), (1, 36), (1, 37))
#: The variable that lets a run go on with a release outside :data:`LIVE_TESTED`.
UNTESTED_OVERRIDE = "dualstack_allow_untested_release"


def describe_minors(minors: Tuple[Version, ...]) -> str:
    """``1.34 to 1.37`` for consecutive minors, else ``1.34, 1.35 and 1.37``."""
    ordered = sorted(minors)
    names = ["%d.%d" % m for m in ordered]
    consecutive = all(b == (a[0], a[1] + 1) for a, b in zip(ordered, ordered[1:]))
    if len(names) == 1:
        return names[0]
    if consecutive:
        return "%s to %s" % (names[0], names[-1])
    return "%s and %s" % (", ".join(names[:-1]), names[-1])


def check_tested_release(detected: Any, allow_untested: Any = False) -> None:
    """Refuse a cluster release outside :data:`LIVE_TESTED` unless ``allow_untested`` (the operator's own risk)."""
    if detected in (None, "") or allow_untested in (True, "true", "True", "yes", "1", 1):
        return
    version = parse_version(detected)
    if version in LIVE_TESTED:
        return
    raise DualStackError(
        "the cluster runs Kubernetes %s, outside the releases this collection has converted and rolled back live "
        "(%s): the version rules of the conversion differ from release to release. Run a collection release that "
        "lists %d.%d as supported, or set %s: true to go on at your own risk"
        % (detected, describe_minors(LIVE_TESTED), version[0], version[1], UNTESTED_OVERRIDE)
    )


def check_declared_version(declared: Any, detected: Any) -> None:
    """``dualstack_kube_version`` must name the release the cluster reports (major.minor), when both are known."""
    if declared in (None, "") or detected in (None, ""):
        return
    if parse_version(declared) != parse_version(detected):
        raise DualStackError(
            "dualstack_kube_version is %s but the cluster's kube-apiserver reports %s: the flags and rules of the plan "
            "depend on the release. Leave dualstack_kube_version empty (the version is read from the cluster) or set "
            "it to %s" % (declared, detected, "%d.%d" % parse_version(detected))
        )


def kubelet_versions(node_objects: Any) -> dict:
    """Node name to the kubelet version it reports (``status.nodeInfo.kubeletVersion``)."""
    return {(n.get("metadata") or {}).get("name"): ((n.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion")
            for n in node_objects or [] if ((n.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion")}
