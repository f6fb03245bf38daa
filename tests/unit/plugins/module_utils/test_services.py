"""Service family fields in plugins/module_utils/services.py."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.services import service_ip_family_spec


@pytest.mark.parametrize(
    "families, version, policy, expected",
    [
        ("IPv4", "1.16", None, {"ipFamily": "IPv4"}),
        (["ipv6"], "v1.19.16", None, {"ipFamily": "IPv6"}),
        ("IPv4", "1.20", None, {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}),
        ("ipv6", "1.30", None, {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"]}),
        ("IPv4,IPv6", "1.21", None, {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"]}),
        (["IPV6", "ipv4"], "v1.34.4", None, {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv6", "IPv4"]}),
        (" ipv4 , ipv6 ", "1.33", "PreferDualStack", {"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv4", "IPv6"]}),
        ("IPv4", "1.33", "preferdualstack", {"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv4"]}),
        ("IPv6", "1.33", "RequireDualStack", {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv6"]}),
        ("IPv4", "1.33", "SingleStack", {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}),
    ],
)
def test_service_ip_family_spec(families, version, policy, expected):
    assert service_ip_family_spec(families, version, policy) == expected


@pytest.mark.parametrize(
    "families, version, policy, words",
    [
        ("IPv4", "1.15", None, "no IPv4/IPv6 dual-stack support"),
        ("IPv4,IPv6", "1.19", None, "single spec.ipFamily"),
        ("IPv4", "1.18", "SingleStack", "no spec.ipFamilyPolicy"),
        ("IPv4,IPv6", "1.30", "SingleStack", "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families"),
        ("IPv4", "1.30", "DualStack", "Unsupported value"),
        ("IPv5", "1.30", None, "must be IPv4 or IPv6"),
        ("", "1.30", None, "must be IPv4 or IPv6"),
        ([], "1.30", None, "must be IPv4 or IPv6"),
        (None, "1.30", None, "must be IPv4 or IPv6"),
        ("IPv4,IPv4", "1.30", None, "Duplicate value"),
        ("IPv4,IPv6,IPv4", "1.30", None, "at most 2 entries"),
        ("IPv4", "newest", None, "not a Kubernetes version"),
    ],
)
def test_service_ip_family_spec_errors(families, version, policy, words):
    with pytest.raises(DualStackError, match=words):
        service_ip_family_spec(families, version, policy)
