"""The Nodes the conversion can take (module_utils/cluster_nodes.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import cluster_nodes as cn
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


def node(name, kubelet="v1.34.12", **annotations):
    return {"metadata": {"name": name, "annotations": annotations}, "status": {"nodeInfo": {"kubeletVersion": kubelet}}}


def test_every_node_in_the_inventory():
    cn.check_inventory_covers([node("cp1"), node("w1")], ["cp1", "w1", "w2"])
    with pytest.raises(DualStackError, match=r"2 Node\(s\) of the cluster are not in the inventory's k8s_cluster group: "
                                             r"autoscaled-1, w9"):
        cn.check_inventory_covers([node("cp1"), node("w9"), node("autoscaled-1")], ["cp1"])


def with_ips(name, *ips):
    n = node(name)
    n["status"]["addresses"] = [{"type": "InternalIP", "address": ip} for ip in ips] + [{"type": "Hostname", "address": name}]
    return n


def test_nodes_outside_the_inventory_converted_through_the_api_only():
    dual = [node("cp1"), with_ips("pool-a", "10.0.0.5", "fd00::5"), with_ips("pool-b", "10.0.0.6", "fd00::6")]
    assert cn.check_inventory_covers(dual, ["cp1"], "api_only", ["IPv4", "IPv6"], True, "calico") == ["pool-a", "pool-b"]
    assert cn.check_inventory_covers(dual, ["cp1", "pool-a", "pool-b"], "api_only", ["IPv4", "IPv6"]) == []
    # The refusal says when api_only applies.
    with pytest.raises(DualStackError, match="when their kubelets already report an InternalIP of each family, set "
                                             "dualstack_nodes_outside_inventory: api_only"):
        cn.check_inventory_covers(dual, ["cp1"], "refuse", ["IPv4", "IPv6"])
    # A kubelet with one --node-ip reports one family: its flags must change, so it must be in the inventory.
    with pytest.raises(DualStackError) as err:
        cn.check_inventory_covers([with_ips("pool-a", "10.0.0.5"), with_ips("pool-b", "10.0.0.6", "fd00::6")], [],
                                  "api_only", ["IPv4", "IPv6"], False, "calico")
    assert "pool-a reports InternalIP 10.0.0.5 only, no IPv6: a kubelet reports both families only when it runs " \
           "--node-ip with one address per family or a cloud-controller-manager sets both" in str(err.value)
    assert "pool-b" not in str(err.value)
    # Re-registered under a bridge CNI, the node's bridge keeps the old gateway: a host task must remove it.
    for cni in ("flannel", "bridge"):
        with pytest.raises(DualStackError, match="pool-a would be registered again with a new IPv4 podCIDR, and the %s "
                                                 "CNI's bridge" % cni):
            cn.check_inventory_covers(dual, ["cp1"], "api_only", ["IPv4", "IPv6"], True, cni)
    assert cn.check_inventory_covers(dual, ["cp1"], "api_only", ["IPv4", "IPv6"], False, "flannel") == ["pool-a", "pool-b"]
    with pytest.raises(DualStackError, match=r"dualstack_nodes_outside_inventory='skip' is not one of refuse, api_only"):
        cn.check_inventory_covers(dual, ["cp1"], "skip", ["IPv4", "IPv6"])


def test_reregistrable():
    cn.check_reregistrable([node("w1")], {"w1": {"register-node": "true"}, "w2": {}})
    with pytest.raises(DualStackError) as err:
        cn.check_reregistrable([node("w1", **{"cluster.x-k8s.io/machine": "md-0-x"})], {"w2": {"register-node": "False"}})
    assert "w2: its kubelet runs --register-node=false" in str(err.value)
    assert "w1: a Cluster API Machine (md-0-x)" in str(err.value)
    assert "dualstack_cni: external with dualstack_cni_reregister: false" in str(err.value)


def test_kubelet_versions():
    assert cn.check_kubelet_versions([node("w1", "v1.33.2"), node("w2", "v1.21.0")]) == {"w1": "v1.33.2", "w2": "v1.21.0"}
    with pytest.raises(DualStackError, match="the kubelet of Node w2 runs Kubernetes v1.19.16; the collection converts 1.21"):
        cn.check_kubelet_versions([node("w1"), node("w2", "v1.19.16")])


def test_converted_nodes_have_a_pod_cidr_per_family_primary_first():
    def with_cidrs(name, *cidrs):
        return {"metadata": {"name": name}, "spec": {"podCIDRs": list(cidrs)}}
    nodes = [with_cidrs("w2", "10.244.2.0/24", "fd00:10:244:2::/64"), with_cidrs("w1", "10.244.1.0/24"),
             with_cidrs("w3", "fd00:10:244:3::/64", "10.244.3.0/24"), {"metadata": {"name": "w4"}, "spec": {}},
             with_cidrs("cp1", "10.244.0.0/24", "fd00:10:244::/64")]
    assert cn.converted_nodes(nodes, ["IPv4", "IPv6"]) == ["cp1", "w2"]
    assert cn.converted_nodes(nodes, ["IPv4"]) == ["w1"]
    assert cn.converted_nodes(nodes, []) == []


def test_node_converted_is_the_one_node_rule_of_converted_nodes():
    node_ = {"metadata": {"name": "w1"}, "spec": {"podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"]}}
    assert cn.node_converted(node_, ["IPv4", "IPv6"]) is True
    assert cn.node_converted(node_, ["IPv6", "IPv4"]) is False
    assert cn.node_converted({}, ["IPv4", "IPv6"]) is False  # no such Node (kubectl --ignore-not-found)
    assert cn.node_converted(node_, []) is False
