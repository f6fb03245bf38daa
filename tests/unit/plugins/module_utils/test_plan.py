"""The whole-target checks and flag computation in plugins/module_utils/plan.py."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import conversion_plan

NODES = {"cp1": ["192.168.77.11", "fd00:77::11"], "w1": "fd00:77::21, 192.168.77.21"}


def plan(**overrides):
    args = dict(
        pod_cidrs="10.244.0.0/16,fd00:10:244::/56",
        service_cidrs="10.96.0.0/16,fd00:10:96::/112",
        kube_version="v1.34.4",
        nodes=NODES,
        node_cidrs="192.168.77.0/24,fd00:77::/64",
    )
    args.update(overrides)
    return conversion_plan(**args)


def test_plan_flags():
    result = plan()
    assert result["kube-apiserver"] == {"service-cluster-ip-range": "10.96.0.0/16,fd00:10:96::/112", "feature-gates": None}
    assert result["kube-controller-manager"] == {
        "cluster-cidr": "10.244.0.0/16,fd00:10:244::/56",
        "service-cluster-ip-range": "10.96.0.0/16,fd00:10:96::/112",
        "node-cidr-mask-size": None,
        "node-cidr-mask-size-ipv4": 24,
        "node-cidr-mask-size-ipv6": 64,
        "feature-gates": None,
    }
    assert result["kube-proxy"]["cluster-cidr"] == "10.244.0.0/16,fd00:10:244::/56"
    # node IPs are put primary family first whatever the input order
    assert result["kubelet"]["w1"]["node-ip"] == "192.168.77.21,fd00:77::21"
    assert "kubelet on w1: --node-ip=192.168.77.21,fd00:77::21" in result["summary"]
    assert any("(remove --node-cidr-mask-size)" in line for line in result["summary"])


def test_plan_feature_gates_by_version():
    assert plan(kube_version="1.20", current_feature_gates="A=true", service_cidrs="10.96.0.0/16,fd00:10:96::/112")[
        "kube-apiserver"]["feature-gates"] == "A=true,IPv6DualStack=true"
    assert plan(kube_version="1.30", current_feature_gates="IPv6DualStack=true")["kube-apiserver"]["feature-gates"] is None


def test_explicit_masks_are_used_and_checked():
    assert plan(node_mask_ipv6=72)["node_masks"] == {"ipv4": 24, "ipv6": 72}
    with pytest.raises(DualStackError, match="difference is greater than 16"):
        plan(node_mask_ipv6=80)
    with pytest.raises(DualStackError, match="must be less than or equal to --node-cidr-mask-size"):
        plan(node_mask_ipv4=8)
    with pytest.raises(DualStackError, match="gives 1 node block"):
        plan(node_mask_ipv4=16)


def test_node_count_for_growth():
    assert plan()["node_count"] == 2   # no cluster read: the inventory's nodes
    assert plan(pod_cidrs="10.244.0.0/22,fd00:10:244::/56", node_count=8)["node_masks"]["ipv4"] == 25
    with pytest.raises(DualStackError, match="cannot hold 9 node"):
        plan(pod_cidrs="10.244.0.0/22,fd00:10:244::/56", node_count=9)


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"pod_cidrs": "fd00:10:244::/56,10.244.0.0/16"}, "same families in the same order"),
        ({"service_cidrs": "10.96.0.0/16"}, "same families in the same order"),
        ({"service_cidrs": "10.244.0.0/20,fd00:10:96::/112"}, "pod range 10.244.0.0/16 overlaps Service range 10.244.0.0/20"),
        ({"node_cidrs": "10.0.0.0/8"}, "overlaps node range 10.0.0.0/8"),
        ({"nodes": {"cp1": ["192.168.77.11", "::1"]}}, "::1 is a loopback address"),
        ({"nodes": {"cp1": ["192.168.77.11", "fe80::1"]}}, "link-local"),
        ({"nodes": {"cp1": ["0.0.0.0", "fd00:77::11"]}}, "unspecified"),
        ({"nodes": {"cp1": ["192.168.77.11"]}}, "cp1 has no IPv6 address"),
        ({"nodes": {"cp1": ""}}, "cp1 has no IPv4/IPv6 address"),
        ({"nodes": {"cp1": ["192.168.77.11", "192.168.77.12", "fd00:77::11"]}}, "two IPv4 addresses"),
        ({"nodes": {"cp1": ["192.168.77.11", "fd00:10:244::5"]}}, "inside the cluster range fd00:10:244::/56"),
        ({"nodes": {"cp1": ["192.168.77.11", "bogus"]}}, "not an IP address"),
        ({"nodes": {}}, "no nodes in the inventory"),
        ({"kube_version": "1.15"}, "no IPv4/IPv6 dual-stack support"),
        ({"service_cidrs": "10.96.0.0/16,fd00:10:96::/64", "kube_version": "1.33"}, "is too large"),
        ({"pod_cidrs": "10.244.0.1/16,fd00:10:244::/56"}, "did you mean 10.244.0.0/16?"),
        ({"max_pods": 0}, "max_pods must be a positive integer"),
    ],
)
def test_bad_targets(overrides, words):
    with pytest.raises(DualStackError) as err:
        plan(**overrides)
    assert words in str(err.value)


def test_single_stack_plan_removes_the_other_family_flag():
    result = plan(pod_cidrs="10.244.0.0/16", service_cidrs="10.96.0.0/16", nodes={"cp1": "192.168.77.11"}, node_cidrs="")
    flags = result["kube-controller-manager"]
    assert flags["node-cidr-mask-size-ipv4"] == 24 and flags["node-cidr-mask-size-ipv6"] is None


def test_an_ipv6_primary_target_is_refused_before_any_change():
    with pytest.raises(DualStackError, match="put IPv6 first: this collection converts IPv4 single-stack clusters"):
        conversion_plan("fd00:10:244::/56,10.244.0.0/16", "fd00:10:96::/112,10.96.0.0/16", "v1.34.12",
                        {"cp1": "fd00:77::11,192.168.77.11"})
