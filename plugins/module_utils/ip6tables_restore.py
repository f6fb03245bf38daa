# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The ``ip6tables-restore --noflush`` input that puts the IPv6 egress masquerade chain in place in one transaction.

Declaring a chain (``:CHAIN - [0:0]``) in a ``--noflush`` restore creates it, or flushes it when it
exists, and the rules that follow refill it before ``COMMIT``: no window without the chain's rules
(review finding, lower severity: the old Flush→Add sequence had one). The same text, with the
jump from POSTROUTING, is the file a boot-time unit restores (the rules survive a reboot).
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Sequence

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

_BARE = re.compile(r"^[A-Za-z0-9_./:!-]+$")


def quote(word: str) -> str:
    """One argument as iptables-restore reads it: bare, or in double quotes (no quote or backslash inside)."""
    if _BARE.match(word):
        return word
    if '"' in word or "\\" in word:
        raise DualStackError("%r cannot be written for ip6tables-restore: no quotes or backslashes in rule arguments" % word)
    return '"%s"' % word


def restore_text(rules: Sequence[Mapping[str, Any]], chain: str, jump: bool = True) -> str:
    """``*nat``, the chain declared (created or flushed), its rules in order, the POSTROUTING jump when ``jump``, ``COMMIT``."""
    lines: List[str] = ["*nat", ":%s - [0:0]" % chain]
    own = [r for r in rules if r.get("chain") == chain]
    jumps = [r for r in rules if r.get("chain") == "POSTROUTING"]
    if not own or len(jumps) != 1:
        raise DualStackError("expected the rules of ipv6_masquerade_rules: one POSTROUTING jump and the rules of %s" % chain)
    lines += ["-A %s %s" % (chain, " ".join(quote(str(w)) for w in r["rule"])) for r in own]
    if jump:
        lines.append("-A POSTROUTING %s" % " ".join(quote(str(w)) for w in jumps[0]["rule"]))
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"
