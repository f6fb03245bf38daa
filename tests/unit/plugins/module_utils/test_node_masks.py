"""Node masks: running families keep theirs, only the new family's is computed (module_utils/node_masks.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import node_masks as nm
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


@pytest.mark.parametrize("flags, cidrs, expected", [
    ({}, ["10.244.0.0/16"], {"ipv4": 24}),
    ({"node-cidr-mask-size": "26"}, ["10.244.0.0/16"], {"ipv4": 26}),
    ({"node-cidr-mask-size-ipv4": "25"}, ["10.244.0.0/16"], {"ipv4": 25}),
    ({}, ["fd00:10:244::/56"], {"ipv6": 64}),
    ({"node-cidr-mask-size": "120"}, ["fd00:10:244::/108"], {"ipv6": 120}),
    ({"node-cidr-mask-size-ipv4": "26", "node-cidr-mask-size-ipv6": "80"}, ["10.244.0.0/16", "fd00:10:244::/64"],
     {"ipv4": 26, "ipv6": 80}),
    ({"node-cidr-mask-size": "26"}, ["10.244.0.0/16", "fd00:10:244::/56"], {"ipv4": 24, "ipv6": 64}),
])
def test_running_masks(flags, cidrs, expected):
    assert nm.running_node_masks(flags, cidrs) == expected


def test_a_26_cluster_keeps_26_and_only_ipv6_is_computed():
    masks = nm.node_masks(["10.244.0.0/16", "fd00:10:244::/56"], 6, 110, {"ipv4": "", "ipv6": None}, {"ipv4": 26})
    assert masks == {"ipv4": 26, "ipv6": 64}


def test_a_given_mask_equal_to_the_running_one_is_fine_another_is_refused():
    assert nm.node_masks(["10.244.0.0/16"], 3, 110, {"ipv4": "26"}, {"ipv4": 26}) == {"ipv4": 26}
    with pytest.raises(DualStackError, match="node_mask_ipv4=24 but the cluster runs /26 for ipv4"):
        nm.node_masks(["10.244.0.0/16"], 3, 110, {"ipv4": 24}, {"ipv4": 26})


def test_a_running_mask_is_kept_even_when_the_new_count_would_not_fit():
    """The cluster runs it today; capacity is the operator's, the conversion only adds a family."""
    assert nm.node_masks(["10.244.0.0/24"], 50, 110, {}, {"ipv4": 26}) == {"ipv4": 26}


def test_the_new_family_shortfall_says_how_nodes_were_counted():
    with pytest.raises(DualStackError, match=r"\(6 node\(s\): the nodes counted today times 2"):
        nm.node_masks(["10.244.0.0/16", "fd00:10:244::/120"], 6, 110, {}, {"ipv4": 24})


def test_nodes_must_hold_the_running_mask():
    nodes = [{"metadata": {"name": "w1"}, "spec": {"podCIDRs": ["10.244.1.0/24"]}},
             {"metadata": {"name": "w2"}, "spec": {"podCIDR": "10.244.2.0/26"}}, {"metadata": {"name": "w3"}, "spec": {}}]
    nm.check_nodes_use({"ipv4": 24}, nodes[:1] + nodes[2:])
    with pytest.raises(DualStackError, match=r"runs node mask /24 for IPv4 but Nodes hold other sizes \(w2 10.244.2.0/26\)"):
        nm.check_nodes_use({"ipv4": 24}, nodes)


@pytest.mark.parametrize("given, inventory, cluster, expected", [
    (None, 3, 0, 6), ("", 3, 40, 80), (500, 3, 40, 500), ("7", 3, 3, 7), (None, 0, 0, 2),
])
def test_planned_node_count(given, inventory, cluster, expected):
    assert nm.planned_node_count(given, inventory, cluster) == expected
