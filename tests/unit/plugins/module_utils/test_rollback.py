"""The way back to single-stack in plugins/module_utils/rollback.py."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.rollback import (
    controllers_values,
    nodes_with_extra_cidrs,
    primary_node_ip,
    rollback_plan,
    services_to_downgrade,
    services_to_single_stack,
)


def node(name, cidrs, addresses=()):
    return {"metadata": {"name": name}, "spec": {"podCIDRs": list(cidrs)},
            "status": {"addresses": [{"type": "InternalIP", "address": a} for a in addresses]}}


def service(name, families, policy="SingleStack", kind="ClusterIP", namespace="default"):
    return {"metadata": {"name": name, "namespace": namespace},
            "spec": {"type": kind, "ipFamilies": list(families), "ipFamilyPolicy": policy}}


def current(**overrides):
    base = {
        "service_cidrs": {"cp1": "10.96.0.0/16,fd00:10:96::/112"},
        "pod_cidrs": {"cp1": "10.244.0.0/16,fd00:10:244::/56"},
        "controllers": {"cp1": "*,bootstrapsigner,tokencleaner"},
        "node_ips": {"cp1": "192.168.77.11,fd00:77::11", "w1": ""},
        "node_objects": [node("cp1", ["10.244.0.0/24", "fd00:10:244::/64"], ["192.168.77.11", "fd00:77::11"]),
                         node("w1", ["10.244.1.0/24", "fd00:10:244:1::/64"], ["192.168.77.21", "fd00:77::21"])],
        "services": [service("kubernetes", ["IPv4"]), service("web", ["IPv4", "IPv6"], "RequireDualStack"),
                     service("maybe", ["IPv4"], "PreferDualStack"), service("ext", [], kind="ExternalName")],
        "hosts": ["cp1", "w1"],
    }
    base.update(overrides)
    return base


def test_plan_drops_the_secondary_family_and_keeps_the_primary():
    plan = rollback_plan(current(), "v1.34.12")
    assert plan["mode"] == "rollback"
    assert plan["families"] == ["IPv4"] and plan["dropped_family"] == "IPv6"
    assert plan["kube-apiserver"] == {"service-cluster-ip-range": "10.96.0.0/16"}
    assert plan["kube-controller-manager"] == {
        "cluster-cidr": "10.244.0.0/16", "service-cluster-ip-range": "10.96.0.0/16", "node-cidr-mask-size-ipv6": None}
    assert plan["kube-proxy"] == {"cluster-cidr": "10.244.0.0/16"}
    # w1 has no --node-ip flag: its Node's IPv4 InternalIP is used.
    assert plan["kubelet"] == {"cp1": {"node-ip": "192.168.77.11"}, "w1": {"node-ip": "192.168.77.21"}}
    assert plan["services_to_downgrade"] == ["default/maybe", "default/web"]
    assert plan["nodes_to_reregister"] == ["cp1", "w1"]
    assert plan["pause_node_ipam"] is True and plan["reregister_nodes"] is True
    assert plan["controllers"] == {"hold": "*,bootstrapsigner,tokencleaner,-nodeipam", "final": "*,bootstrapsigner,tokencleaner"}
    assert any("Services to SingleStack first: default/maybe, default/web" in line for line in plan["summary"])
    # The plan's order is the playbook's: Services, kube-proxy, CNI and egress, kubelets, ...
    order = [line.split(":")[0].split(" on ")[0] for line in plan["summary"][1:]]
    assert order[:4] == ["Services to SingleStack first", "kube-proxy", "CNI and egress", "kubelet"]


def test_ipv6_primary_cluster_drops_ipv4_and_its_mask():
    plan = rollback_plan(current(
        service_cidrs={"cp1": "fd00:10:96::/112,10.96.0.0/16"}, pod_cidrs={"cp1": "fd00:10:244::/56,10.244.0.0/16"},
        node_ips={"cp1": "fd00:77::11,192.168.77.11"}, node_objects=[], services=[], hosts=[]), "1.34")
    assert plan["families"] == ["IPv6"] and plan["dropped_family"] == "IPv4"
    assert plan["kube-controller-manager"]["node-cidr-mask-size-ipv4"] is None
    assert plan["kubelet"] == {"cp1": {"node-ip": "fd00:77::11"}}


def test_already_single_stack_plans_nothing_to_pause():
    plan = rollback_plan(current(
        service_cidrs={"cp1": "10.96.0.0/16"}, pod_cidrs={"cp1": "10.244.0.0/16"}, controllers={"cp1": ""},
        node_ips={"cp1": "192.168.77.11"}, node_objects=[node("cp1", ["10.244.0.0/24"], ["192.168.77.11"])],
        services=[service("kubernetes", ["IPv4"])], hosts=["cp1"]), "1.34")
    assert plan["dropped_family"] is None
    assert plan["pause_node_ipam"] is False and plan["reregister_nodes"] is False
    assert plan["services_to_downgrade"] == [] and plan["nodes_to_reregister"] == []


def test_interrupted_run_with_node_ipam_paused_resumes():
    plan = rollback_plan(current(controllers={"cp1": "*,bootstrapsigner,tokencleaner,-nodeipam"},
                                 node_objects=[node("cp1", ["10.244.0.0/24"], ["192.168.77.11"])],
                                 node_ips={"cp1": "192.168.77.11"}, hosts=["cp1"]), "1.34")
    assert plan["nodes_to_reregister"] == []
    assert plan["pause_node_ipam"] is True
    assert plan["controllers"]["final"] == "*,bootstrapsigner,tokencleaner"


def test_service_with_the_dropped_family_first_is_refused_by_name():
    svcs = [service("v6only", ["IPv6"], namespace="apps"), service("v6first", ["IPv6", "IPv4"], "RequireDualStack")]
    with pytest.raises(DualStackError, match=r"2 Service\(s\) have IPv6 as their first IP family: apps/v6only, default/v6first.*"
                                             r"spec.clusterIPs\[0\] is immutable.*ipFamilies: \[IPv4\]"):
        rollback_plan(current(services=svcs), "1.34")


def test_control_planes_must_agree():
    with pytest.raises(DualStackError, match="control-plane nodes disagree on --cluster-cidr"):
        rollback_plan(current(pod_cidrs={"cp1": "10.244.0.0/16,fd00:10:244::/56", "cp2": "10.245.0.0/16"}), "1.34")


@pytest.mark.parametrize("rolled_back", [(), ("cp1",), ("cp1", "cp2"), ("cp2", "cp3"), ("cp1", "cp2", "cp3")])
def test_a_half_rolled_back_ha_control_plane_is_planned_to_single_stack(rolled_back):
    """The way back interrupted between control planes (or a conversion interrupted, then rolled back): each runs the
    dual value or its kept primary range; the plan drops IPv6 everywhere (review finding H1)."""
    hosts = ("cp1", "cp2", "cp3")
    dual = {"service": "10.96.0.0/16,fd00:10:96::/112", "pod": "10.244.0.0/16,fd00:10:244::/56"}
    values = {}
    for kind, value in dual.items():
        values[kind] = {h: (value.split(",", maxsplit=1)[0] if h in rolled_back else value) for h in hosts}
    plan = rollback_plan(current(service_cidrs=values["service"], pod_cidrs=values["pod"]), "v1.34.12")
    if len(rolled_back) == 3:
        assert plan["dropped_family"] is None
    else:
        assert plan["dropped_family"] == "IPv6"
    assert plan["kube-apiserver"] == {"service-cluster-ip-range": "10.96.0.0/16"}
    assert plan["kube-controller-manager"]["cluster-cidr"] == "10.244.0.0/16"


def test_mixed_primary_families_are_refused():
    with pytest.raises(DualStackError, match="no single primary family"):
        rollback_plan(current(service_cidrs={"cp1": "fd00:10:96::/112,10.96.0.0/16"}), "1.34")


def test_missing_flags_are_named():
    with pytest.raises(DualStackError, match="--service-cluster-ip-range could not be read"):
        rollback_plan(current(service_cidrs={}), "1.34")


def test_node_without_a_primary_address_is_named():
    with pytest.raises(DualStackError, match="node w9: no IPv4 address"):
        primary_node_ip("w9", "fd00:77::29", ["fd00:77::29"], "IPv4")


@pytest.mark.parametrize("now, hold, final", [
    ("", "*,-nodeipam", "*"),
    ("*", "*,-nodeipam", "*"),
    ("*,-nodeipam", "*,-nodeipam", "*"),
    ("*,bootstrapsigner", "*,bootstrapsigner,-nodeipam", "*,bootstrapsigner"),
])
def test_controllers_values(now, hold, final):
    assert controllers_values(now) == {"hold": hold, "final": final}


def test_services_to_downgrade_skips_external_names_and_single_stack():
    svcs = [service("a", ["IPv4"]), service("b", [], kind="ExternalName"), service("c", ["IPv4", "IPv6"], "PreferDualStack")]
    assert services_to_downgrade(svcs) == ["default/c"]


def test_nodes_with_extra_cidrs():
    nodes = [node("a", ["10.244.0.0/24"]), node("b", ["10.244.1.0/24", "fd00:10:244:1::/64"]), node("c", [])]
    assert nodes_with_extra_cidrs(nodes, "IPv4") == ["b"]


def test_a_node_outside_the_inventory_goes_back_through_the_api_only_when_it_came_that_way():
    pool = node("pool-1", ["10.244.3.0/24", "fd00:10:244:3::/64"], ["192.168.77.31", "fd00:77::31"])
    objects = current()["node_objects"] + [pool]
    with pytest.raises(DualStackError, match="Node\\(s\\) pool-1 hold a podCIDR of the dropped family and are not in the "
                                             "inventory's k8s_cluster group"):
        rollback_plan(current(node_objects=objects), "v1.34.12")
    plan = rollback_plan(current(node_objects=objects, outside_inventory="api_only"), "v1.34.12")
    assert plan["nodes_api_only"] == ["pool-1"] and "pool-1" in plan["nodes_to_reregister"]
    assert "pool-1" not in plan["kubelet"]
    assert rollback_plan(current(), "v1.34.12")["nodes_api_only"] == []


def test_rollback_plan_carries_each_hosts_gates():
    plan = rollback_plan(current(component_flags={"cp1": {"kube-controller-manager": {"feature-gates": "Z=true"}},
                                                  "w1": {"kubelet": {}}}), "v1.34.12")
    assert plan["feature_gates"] == {"cp1": {"kube-controller-manager": {"feature-gates": "Z=true"}}, "w1": {"kubelet": {}}}
    assert plan["summary"][-1] == "kube-controller-manager on cp1: --feature-gates=Z=true"


def test_services_read_again_before_the_apiservers():
    listed = {"apiVersion": "v1", "kind": "List", "items": [
        service("kubernetes", ["IPv4"]), service("late", ["IPv4", "IPv6"], "RequireDualStack", namespace="shop"),
        service("prefer", ["IPv4"], "PreferDualStack"), service("ext", [], kind="ExternalName")]}
    assert services_to_single_stack(listed, "IPv4") == ["default/prefer", "shop/late"]
    assert services_to_single_stack(listed["items"], "IPv4") == ["default/prefer", "shop/late"]
    listed["items"].append(service("v6first", ["IPv6", "IPv4"], "RequireDualStack"))
    with pytest.raises(DualStackError, match="1 Service\\(s\\) have IPv6 as their first IP family: default/v6first"):
        services_to_single_stack(listed, "IPv4")


def test_rollback_plan_says_whether_node_ipam_runs_after_the_way_back():
    kcm = {"kube-controller-manager": {"allocate-node-cidrs": "true", "controllers": "*,bootstrapsigner,tokencleaner"}}
    assert rollback_plan(current(component_flags={"cp1": kcm, "w1": {"kubelet": {}}}), "v1.34.12")["node_ipam"] is True
    # Paused by an interrupted way back (-nodeipam): on again at the end.
    kcm["kube-controller-manager"]["controllers"] = "*,-nodeipam"
    assert rollback_plan(current(component_flags={"cp1": kcm}), "v1.34.12")["node_ipam"] is True


def test_the_way_back_on_a_release_never_run_live_is_refused_unless_allowed():
    with pytest.raises(DualStackError, match="Kubernetes v1.32.9, outside the releases"):
        rollback_plan(current(server_version="v1.32.9"), "v1.32.9")
    assert rollback_plan(current(server_version="v1.32.9", allow_untested_release=True), "v1.32.9")["kube_version"] == "1.32"


def test_the_way_back_checks_the_load_balancer_hooks():
    with pytest.raises(DualStackError, match="control_plane_rotation_in on cp1 settle_seconds 'x' is not a whole number"):
        rollback_plan(current(rotation_in={"cp1": {"argv": ["true"], "settle_seconds": "x"}}), "v1.34.12")
    assert rollback_plan(current(rotation_out={"cp1": {"argv": ["true"]}}, rotation_in={"cp1": {"argv": ["true"]}}),
                         "v1.34.12")["mode"] == "rollback"


def test_the_way_back_writes_canonical_ranges_and_refuses_host_bits():
    # 1.36+ validates CIDRs strictly (StrictIPCIDRValidation): what the way back writes comes out canonical.
    plan = rollback_plan(current(service_cidrs={"cp1": " 10.96.0.0/16 , FD00:0010:0096:0::/112"},
                                 pod_cidrs={"cp1": "10.244.0.0/16,FD00:10:244:0::/56"}), "v1.36.3")
    assert plan["service_cidrs"] == ["10.96.0.0/16"] and plan["pod_cidrs"] == ["10.244.0.0/16"]
    assert plan["kube-apiserver"]["service-cluster-ip-range"] == "10.96.0.0/16"
    with pytest.raises(DualStackError, match="did you mean 10.244.0.0/16"):
        rollback_plan(current(pod_cidrs={"cp1": "10.244.0.1/16,fd00:10:244::/56"}), "v1.34.12")


def test_the_way_back_refuses_someone_elses_verify_namespace_before_anything_changes():
    foreign = {"name": "dualstack-verify", "read": '{"kind": "Namespace", "metadata": {"name": "dualstack-verify"}}'}
    with pytest.raises(DualStackError, match="namespace dualstack-verify exists but was not created by the verify role"):
        rollback_plan(current(verify_namespace=foreign), "v1.34.12")
    assert rollback_plan(current(verify_namespace={"name": "dualstack-verify", "read": ""}), "v1.34.12")["mode"] == "rollback"
