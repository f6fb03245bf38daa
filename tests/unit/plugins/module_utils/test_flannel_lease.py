# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""flannel's subnet.env against a Node's podCIDRs (the file as flanneld v0.28 writes it)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils import flannel_lease
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flannel_lease import lease_mismatches, parse_subnet_env

V4_ONLY = "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"
DUAL = V4_ONLY + "FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:3::1/64\n"


def test_parse():
    assert parse_subnet_env("# c\n\nA=1\nB = x=y\n") == {"A": "1", "B": "x=y"}


@pytest.mark.parametrize("env, cidrs, problems", [
    (V4_ONLY, ["10.244.3.0/24"], []),
    (V4_ONLY, "10.244.3.0/24,fd00:10:244:3::/64", []),  # flannel's IPv6 not on yet
    (DUAL, ["10.244.3.0/24", "fd00:10:244:3::/64"], []),
    (V4_ONLY, ["10.244.5.0/24", "fd00:10:244:5::/64"], ["FLANNEL_SUBNET=10.244.3.1/24 but the Node's podCIDR is 10.244.5.0/24"]),
    (DUAL, ["10.244.3.0/24"], ["FLANNEL_IPV6_SUBNET=fd00:10:244:3::1/64 but the Node's podCIDR is none"]),
    ("", ["10.244.3.0/24"], ["FLANNEL_SUBNET missing (podCIDR 10.244.3.0/24)"]),
    ("FLANNEL_SUBNET=banana\n", ["10.244.3.0/24"], ["FLANNEL_SUBNET=banana is not an address with a prefix"]),
])
def test_lease_mismatches(env, cidrs, problems):
    assert lease_mismatches(env, cidrs) == problems


def test_bad_pod_cidr():
    with pytest.raises(DualStackError, match="Node podCIDRs"):
        lease_mismatches(V4_ONLY, ["10.244.3.0/33"])


def _node(name, **annotations):
    return {"metadata": {"name": name, "annotations": annotations}}


def test_nodes_without_ipv6_lease():
    v6 = {"flannel.alpha.coreos.com/public-ipv6": "fd00:77::21",
          "flannel.alpha.coreos.com/backend-v6-data": '{"VNI":1,"VtepMAC":"c6:b7:c2:e4:72:50"}'}
    nodes = {"items": [_node("w1", **v6), _node("w2", **{"flannel.alpha.coreos.com/public-ip": "192.168.77.22"}),
                       _node("cp1", **{"flannel.alpha.coreos.com/public-ipv6": "fd00:77::11"})]}
    assert flannel_lease.nodes_without_ipv6_lease(nodes) == ["cp1", "w2"]
    assert flannel_lease.nodes_without_ipv6_lease([_node("w1", **v6)]) == []
    assert flannel_lease.nodes_without_ipv6_lease([_node("w1", **v6)], prefix="other.io/") == ["w1"]
