# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""kubeadm's ClusterConfiguration kept in step with the plan (module_utils/kubeadm_config.py)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.kubeadm_config import cluster_configuration
from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import conversion_plan
from ansible_collections.dualstack.kubernetes.plugins.module_utils.rollback import rollback_plan

# As `kubeadm init` of v1.34.12 wrote it on the lab (kubeadm.k8s.io/v1beta4), with extraArgs an operator added.
V1BETA4 = {
    "apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "ClusterConfiguration", "kubernetesVersion": "v1.34.12",
    "clusterName": "kubernetes", "controlPlaneEndpoint": "192.168.77.11:6443",
    "networking": {"dnsDomain": "cluster.local", "podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/16"},
    "apiServer": {"extraArgs": [{"name": "audit-log-maxage", "value": "7"},
                                {"name": "service-cluster-ip-range", "value": "10.96.0.0/16"}]},
    "controllerManager": {"extraArgs": [{"name": "node-cidr-mask-size", "value": "24"},
                                        {"name": "bind-address", "value": "0.0.0.0"}]},
    "etcd": {"local": {"dataDir": "/var/lib/etcd"}},
}
# kubeadm.k8s.io/v1beta3 (1.22-1.30 wrote it): extraArgs is a map.
V1BETA3 = {
    "apiVersion": "kubeadm.k8s.io/v1beta3", "kind": "ClusterConfiguration", "kubernetesVersion": "v1.29.4",
    "networking": {"podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/16"},
    "apiServer": {"extraArgs": {"feature-gates": "IPv6DualStack=false,EphemeralContainers=true"}},
    "controllerManager": {"extraArgs": {"cluster-cidr": "10.244.0.0/16", "allocate-node-cidrs": "true"}},
}


def plan(version="v1.34.12", masks=(None, None)):
    return conversion_plan("10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/16,fd00:10:96::/112", version,
                           {"cp1": "192.168.77.11,fd00:77::11"}, node_mask_ipv4=masks[0], node_mask_ipv6=masks[1])


def test_v1beta4_list_form_order_kept_legacy_mask_out_per_family_masks_in():
    before = copy.deepcopy(V1BETA4)
    new = cluster_configuration(V1BETA4, plan())
    assert V1BETA4 == before  # a new object
    assert new["networking"] == {"dnsDomain": "cluster.local", "podSubnet": "10.244.0.0/16,fd00:10:244::/56",
                                 "serviceSubnet": "10.96.0.0/16,fd00:10:96::/112"}
    assert new["apiServer"]["extraArgs"] == [{"name": "audit-log-maxage", "value": "7"},
                                             {"name": "service-cluster-ip-range", "value": "10.96.0.0/16,fd00:10:96::/112"}]
    assert new["controllerManager"]["extraArgs"] == [{"name": "bind-address", "value": "0.0.0.0"},
                                                     {"name": "node-cidr-mask-size-ipv4", "value": "24"},
                                                     {"name": "node-cidr-mask-size-ipv6", "value": "64"}]
    assert new["etcd"] == V1BETA4["etcd"] and new["controlPlaneEndpoint"] == "192.168.77.11:6443"
    # Applying it again changes nothing (the role writes only on a difference).
    assert cluster_configuration(new, plan()) == new


def test_v1beta3_map_form_and_feature_gates_by_version():
    new = cluster_configuration(V1BETA3, plan("v1.29.4"))
    # The stale IPv6DualStack=false goes (the gate is GA and locked on from 1.23, removed in 1.25+).
    assert new["apiServer"]["extraArgs"] == {"feature-gates": "EphemeralContainers=true"}
    assert new["controllerManager"]["extraArgs"] == {
        "cluster-cidr": "10.244.0.0/16,fd00:10:244::/56", "allocate-node-cidrs": "true",
        "node-cidr-mask-size-ipv4": "24", "node-cidr-mask-size-ipv6": "64"}


def test_no_extra_args_get_the_masks_in_the_api_versions_form():
    bare = {"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "ClusterConfiguration",
            "networking": {"podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/16"}}
    new = cluster_configuration(bare, plan())
    assert new["controllerManager"]["extraArgs"][0] == {"name": "node-cidr-mask-size-ipv4", "value": "24"}
    assert "apiServer" not in new


def test_the_way_back_drops_the_ipv6_range_and_mask():
    converted = cluster_configuration(V1BETA4, plan())
    back = rollback_plan({"service_cidrs": {"cp1": "10.96.0.0/16,fd00:10:96::/112"},
                          "pod_cidrs": {"cp1": "10.244.0.0/16,fd00:10:244::/56"}, "controllers": {"cp1": ""},
                          "node_ips": {"cp1": "192.168.77.11,fd00:77::11"}, "node_objects": [], "services": [],
                          "hosts": ["cp1"]}, "v1.34.12")
    new = cluster_configuration(converted, back)
    assert new["networking"]["podSubnet"] == "10.244.0.0/16" and new["networking"]["serviceSubnet"] == "10.96.0.0/16"
    assert {"name": "service-cluster-ip-range", "value": "10.96.0.0/16"} in new["apiServer"]["extraArgs"]
    assert [a["name"] for a in new["controllerManager"]["extraArgs"]] == ["bind-address", "node-cidr-mask-size-ipv4"]


def test_extra_args_of_another_shape_are_refused():
    with pytest.raises(DualStackError, match="neither a map"):
        cluster_configuration(dict(V1BETA3, apiServer={"extraArgs": ["--v=2"]}), plan())
