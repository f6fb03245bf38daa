# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Service ``spec`` fields that ask for IP families, for every Service API generation."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.versions import (
    SERVICE_API_REDESIGN,
    at_least,
    parse_version,
    require_dual_stack_version,
)

FAMILIES = {"ipv4": "IPv4", "ipv6": "IPv6"}
POLICIES = {"singlestack": "SingleStack", "preferdualstack": "PreferDualStack", "requiredualstack": "RequireDualStack"}


def parse_families(families: Any) -> List[str]:
    """One or two distinct families from a list or a comma string, any case, as IPv4/IPv6."""
    if isinstance(families, str):
        items = [item.strip() for item in families.split(",") if item.strip()]
    elif isinstance(families, (list, tuple)):
        items = [str(item).strip() for item in families]
    else:
        items = []
    canonical = [FAMILIES.get(item.lower()) for item in items]
    if not items or None in canonical:
        raise DualStackError(
            "ip families %r: spec.ipFamilies entries must be IPv4 or IPv6 (supported values: "
            "\"IPv4\", \"IPv6\"); give one family or both, e.g. ['IPv4', 'IPv6']" % (families,)
        )
    if len(canonical) > 2:
        raise DualStackError(
            "ip families %r: spec.ipFamilies may hold at most 2 entries, one per family" % (families,)
        )
    if len(canonical) == 2 and canonical[0] == canonical[1]:
        raise DualStackError(
            "ip families %r: spec.ipFamilies[1]: Duplicate value: %r; dual-stack needs one IPv4 and one IPv6"
            % (families, canonical[1])
        )
    return canonical  # type: ignore[return-value]


def parse_policy(policy: Any) -> str:
    """An ``ipFamilyPolicy`` name, any case, in its canonical spelling."""
    canonical = POLICIES.get(str(policy).strip().lower())
    if canonical is None:
        raise DualStackError(
            "ipFamilyPolicy %r: spec.ipFamilyPolicy: Unsupported value: supported values: "
            "\"PreferDualStack\", \"RequireDualStack\", \"SingleStack\"" % (policy,)
        )
    return canonical


def service_ip_family_spec(families: Any, kube_version: Any, policy: Optional[Any] = None) -> Dict[str, Any]:
    """The dict to merge into a Service ``spec`` for ``families`` on ``kube_version``.

    1.16-1.19 only know ``spec.ipFamily`` (one family); 1.20+ use ``ipFamilyPolicy`` and
    ``ipFamilies`` (k8s PR #91824), where SingleStack may name one family only
    (apiserver: "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP
    families are specified").
    """
    version = parse_version(kube_version)
    require_dual_stack_version(version, kube_version)
    chosen = parse_families(families)
    if not at_least(version, SERVICE_API_REDESIGN):
        if len(chosen) > 1:
            raise DualStackError(
                "Kubernetes %s Services have a single spec.ipFamily (alpha Service API of 1.16-1.19): a "
                "Service cannot have both %s; create one Service per family, or upgrade to 1.20+ for "
                "ipFamilies/ipFamilyPolicy" % (kube_version, " and ".join(chosen))
            )
        if policy is not None:
            raise DualStackError(
                "Kubernetes %s has no spec.ipFamilyPolicy (it came with the 1.20 Service API); drop "
                "policy=%r" % (kube_version, policy)
            )
        return {"ipFamily": chosen[0]}
    if policy is None:
        chosen_policy = "SingleStack" if len(chosen) == 1 else "RequireDualStack"
    else:
        chosen_policy = parse_policy(policy)
    if chosen_policy == "SingleStack" and len(chosen) == 2:
        raise DualStackError(
            "ipFamilyPolicy SingleStack with ipFamilies %s: spec.ipFamilyPolicy must be 'RequireDualStack' "
            "or 'PreferDualStack' when multiple IP families are specified" % (chosen,)
        )
    return {"ipFamilyPolicy": chosen_policy, "ipFamilies": chosen}
