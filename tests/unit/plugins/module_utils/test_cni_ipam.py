# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which IPAM a CNI uses and which Nodes lack an IPv6 podCIDR (module_utils/cni_ipam.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import cni_ipam

from .cni_manifests import PODS, docs, one, raises


def node(name, *cidrs, legacy=None):
    spec = {"podCIDRs": list(cidrs)} if cidrs else {}
    if legacy:
        spec["podCIDR"] = legacy
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": spec}


def test_nodes_without_pod_cidr():
    nodes = {"apiVersion": "v1", "kind": "List", "items": [
        node("cp1", "10.244.0.0/24", "fd00:10:244::/64"),
        node("w1", "10.244.1.0/24"),
        node("w2"),
        node("w3", legacy="10.244.3.0/24"),
        node("w4", "10.244.4.0/24", "fd00:99::/64"),
        node("w5", "10.244.5.0/24", "FD00:10:244:5::/64"),
    ]}
    assert cni_ipam.nodes_without_pod_cidr(nodes, PODS) == ["w1", "w2", "w3", "w4"]
    assert cni_ipam.nodes_without_pod_cidr([], PODS) == []
    raises("is not a Node", cni_ipam.nodes_without_pod_cidr, one("kube-flannel.yml.txt", "ConfigMap"), PODS)
    raises("is not a CIDR", cni_ipam.nodes_without_pod_cidr, node("x", "10.244.0.0/24", "nonsense"), PODS)


@pytest.mark.parametrize(
    "kind, objects, expected",
    [
        ("bridge", None, True),
        ("kindnet", None, True),
        ("flannel", None, True),
        ("Flannel", None, True),
        ("calico", None, False),
        ("cilium", None, False),
        ("cilium", {"kind": "ConfigMap", "metadata": {"name": "cilium-config"}, "data": {"ipam": "kubernetes"}}, True),
        ("cilium", {"kind": "ConfigMap", "metadata": {"name": "cilium-config"}, "data": {"ipam": "cluster-pool"}}, False),
        ("cilium", {"kind": "List", "items": [{"kind": "ConfigMap", "data": {"ipam": "multi-pool"}}]}, False),
    ],
)
def test_cni_ipam_matrix(kind, objects, expected):
    assert cni_ipam.cni_ipam(kind, objects) is expected


def test_cni_ipam_reads_calico_config():
    assert cni_ipam.cni_ipam("calico", docs("calico.yaml.txt")) is False
    cm = one("calico.yaml.txt", "ConfigMap")
    cm["data"]["cni_network_config"] = cm["data"]["cni_network_config"].replace(
        '"type": "calico-ipam"', '"type": "host-local", "subnet": "usePodCidr"')
    assert cni_ipam.cni_ipam("calico", [cm]) is True
    assert cni_ipam.cni_ipam("flannel", docs("kube-flannel.yml.txt")) is True


def test_cni_ipam_errors():
    message = raises("CNI 'weave' is not known", cni_ipam.cni_ipam, "weave")
    assert "bridge, calico, cilium, flannel, kindnet" in message
    message = raises("cilium IPAM 'eni' is not known", cni_ipam.cni_ipam, "cilium", {"kind": "ConfigMap", "data": {"ipam": "eni"}})
    assert "cluster-pool" in message and "kubernetes" in message
    raises("not a Kubernetes object", cni_ipam.cni_ipam, "calico", ["calico-config"])
