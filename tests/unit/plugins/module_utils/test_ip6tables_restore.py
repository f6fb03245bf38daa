"""The one-transaction ip6tables-restore input of the IPv6 egress chain (module_utils/ip6tables_restore.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.egress import ipv6_masquerade_rules
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.ip6tables_restore import quote, restore_text

RULES = ipv6_masquerade_rules("10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/16,fd00:10:96::/112")


def test_the_boot_file():
    assert restore_text(RULES, "DUALSTACK-MASQ6") == (
        "*nat\n"
        ":DUALSTACK-MASQ6 - [0:0]\n"
        "-A DUALSTACK-MASQ6 -d fd00:10:96::/112 -j RETURN\n"
        "-A DUALSTACK-MASQ6 -s fd00:10:244::/56 ! -d fd00:10:244::/56 -j MASQUERADE\n"
        '-A POSTROUTING -s fd00:10:244::/56 -m comment --comment "dualstack.kubernetes: masquerade IPv6 pod egress" '
        "-j DUALSTACK-MASQ6\n"
        "COMMIT\n")


def test_without_the_jump_when_the_node_has_it():
    text = restore_text(RULES, "DUALSTACK-MASQ6", jump=False)
    assert "POSTROUTING" not in text and text.endswith("MASQUERADE\nCOMMIT\n")


def test_quoting():
    assert quote("fd00::/64") == "fd00::/64" and quote("!") == "!" and quote("a b") == '"a b"'
    with pytest.raises(DualStackError, match="no quotes or backslashes"):
        quote('a "b"')


def test_only_the_rules_of_the_chain():
    with pytest.raises(DualStackError, match="one POSTROUTING jump"):
        restore_text(RULES[1:], "DUALSTACK-MASQ6")
