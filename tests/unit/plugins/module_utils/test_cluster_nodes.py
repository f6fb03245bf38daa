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
