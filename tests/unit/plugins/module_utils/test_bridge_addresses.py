# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The CNI bridge addresses a re-registered node must lose (module_utils/bridge_addresses.py)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.bridge_addresses import stale_bridge_addresses
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

CNI0 = [{"ifname": "cni0", "addr_info": [
    {"family": "inet", "local": "10.244.1.1", "prefixlen": 24, "scope": "global"},
    {"family": "inet6", "local": "fd00:10:244:1::1", "prefixlen": 64, "scope": "global"},
    {"family": "inet6", "local": "fe80::1", "prefixlen": 64, "scope": "link"}]}]


def test_the_old_gateways_go_the_new_and_link_local_stay():
    assert stale_bridge_addresses(json.dumps(CNI0), ["10.244.5.0/24", "fd00:10:244:5::/64"]) == [
        "10.244.1.1/24", "fd00:10:244:1::1/64"]
    assert stale_bridge_addresses(CNI0, "10.244.1.0/24,fd00:10:244:1::/64") == []
    # A family without a podCIDR to compare with is left alone (the way back keeps IPv4 only).
    assert stale_bridge_addresses(CNI0, ["10.244.1.0/24"]) == []
    assert stale_bridge_addresses("", ["10.244.1.0/24"]) == []


def test_keep_must_be_cidrs():
    with pytest.raises(DualStackError, match="keep 'banana' is not a list of CIDRs"):
        stale_bridge_addresses(CNI0, "banana")
