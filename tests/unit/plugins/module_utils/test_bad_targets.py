"""Invalid conversion targets against the lab's running cluster: each fails in preflight, with the rule's words.

The current state is the lab's (kubeadm v1.34, pod 10.244.0.0/16, Service 10.96.0.0/16, nodes with
an IPv4 and a ULA IPv6 on eth0, bridge + host-local CNI), as preflight reads it.
"""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import conversion_plan


def eth0(v4, *v6, extra=()):
    infos = [{"family": "inet", "local": v4, "scope": "global"}]
    infos += [{"family": "inet6", "local": a, "scope": "global"} for a in v6]
    infos += list(extra)
    return [{"ifname": "lo", "addr_info": [{"local": "127.0.0.1", "scope": "host"}, {"local": "::1", "scope": "host"}]},
            {"ifname": "eth0", "addr_info": infos}]


def node(name, *addresses_and_cidrs, kubelet="v1.34.12", annotations=None):
    """A Node object as `kubectl get nodes -o json` lists it: InternalIPs and podCIDRs in the given order."""
    ips = [a for a in addresses_and_cidrs if "/" not in a]
    cidrs = [a for a in addresses_and_cidrs if "/" in a]
    return {"metadata": {"name": name, "annotations": dict(annotations or {})},
            "spec": {"podCIDR": cidrs[0], "podCIDRs": cidrs} if cidrs else {},
            "status": {"addresses": [{"type": "InternalIP", "address": a} for a in ips] + [{"type": "Hostname", "address": name}],
                       "nodeInfo": {"kubeletVersion": kubelet}}}


CURRENT = {
    "service_cidrs": {"cp1": "10.96.0.0/16"},
    "pod_cidrs": {"cp1": "10.244.0.0/16"},
    "interfaces": {"cp1": eth0("192.168.77.11", "fd00:77::11"), "w1": eth0("192.168.77.21", "fd00:77::21"),
                   "w2": eth0("192.168.77.22", "fd00:77::22")},
    "kubelet_flags": {"cp1": {"node-ip": "192.168.77.11"}, "w1": {"node-ip": "192.168.77.21"}, "w2": {"node-ip": "192.168.77.22"}},
    "server_version": "v1.34.12",
    "controller_manager": {"cp1": {"cluster-cidr": "10.244.0.0/16", "allocate-node-cidrs": "true"}},
    "hosts": ["cp1", "w1", "w2"],
    "node_objects": [node("cp1", "192.168.77.11", "10.244.0.0/24"), node("w1", "192.168.77.21", "10.244.1.0/24"),
                     node("w2", "192.168.77.22", "10.244.2.0/24")],
    "disable_ipv6": {"cp1": "0", "w1": "0", "w2": "0"},
    "cni": {"daemonsets": [{"namespace": "kube-system", "name": "kube-proxy", "images": ["registry.k8s.io/kube-proxy:v1.34.12"],
                            "configmaps": ["kube-proxy"], "selector": {"k8s-app": "kube-proxy"}}],
            "configmaps": [],
            "node_configs": {host: [{"plugins": [{"type": "bridge", "ipam": {"type": "host-local"}}]}]
                             for host in ("cp1", "w1", "w2")}},
}
GOOD = dict(
    pod_cidrs="10.244.0.0/16,fd00:10:244::/56",
    service_cidrs="10.96.0.0/16,fd00:10:96::/112",
    kube_version="v1.34.12",
    nodes={"cp1": "", "w1": "", "w2": ""},
    node_cidrs="192.168.77.0/24,fd00:77::/64",
)


def target(current_patch=None, **overrides):
    args = dict(GOOD)
    args.update(overrides)
    current = copy.deepcopy(CURRENT)
    for key, value in (current_patch or {}).items():
        current[key] = value
    return conversion_plan(current=current, **args)


def test_the_good_target_passes_and_detects_addresses():
    plan = target()
    assert plan["kubelet"]["w2"]["node-ip"] == "192.168.77.22,fd00:77::22"
    assert plan["reregister_nodes"] is True
    assert plan["node_count"] == 3   # the Nodes read: the waits over every Node scale with it
    assert plan["nodes_converted"] == []   # none has an IPv6 podCIDR yet: the nodes role reads each
    assert "nodes: re-register one at a time" in plan["summary"][-1]
    assert plan["cni"]["name"] == "bridge" and "CNI: bridge (IPAM host-local)" in plan["summary"]


def _no_v6(host):
    return {"interfaces": dict(CURRENT["interfaces"], **{host: eth0(CURRENT["kubelet_flags"][host]["node-ip"])})}


_KUBE_PROXY = CURRENT["cni"]["daemonsets"][0]
_CILIUM = {"namespace": "kube-system", "name": "cilium", "images": ["quay.io/cilium/cilium:v1.16.0"],
           "configmaps": ["cilium-config"], "selector": {"k8s-app": "cilium"}}
_WEAVE = {"namespace": "kube-system", "name": "weave-net", "images": ["weaveworks/weave-kube:2.8.1"],
          "configmaps": [], "selector": {"name": "weave-net"}}


def _cm(namespace, name, data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": namespace, "name": name}, "data": data}


def _cni(daemonsets=(), configmaps=(), conf=None, declared="auto"):
    """preflight's CNI input for the lab's three hosts: kube-proxy plus ``daemonsets``, each node running ``conf``."""
    node_conf = conf or CURRENT["cni"]["node_configs"]["cp1"][0]
    return {"daemonsets": [_KUBE_PROXY, *daemonsets], "configmaps": list(configmaps),
            "node_configs": {host: [node_conf] for host in ("cp1", "w1", "w2")}, "declared": declared}


BAD = [
    # families and order
    ({"pod_cidrs": "fd00:10:244::/56,10.244.0.0/16", "service_cidrs": "fd00:10:96::/112,10.96.0.0/16"}, {},
     "does not keep the current --service-cluster-ip-range[0]"),
    ({"pod_cidrs": "fd00:10:244::/56,10.244.0.0/16", "service_cidrs": "fd00:10:96::/112,10.96.0.0/16"}, {},
     "put IPv6 first: this collection converts IPv4 single-stack clusters"),
    ({"pod_cidrs": "fd00:10:244::/56,10.244.0.0/16"}, {}, "same families in the same order"),
    ({"service_cidrs": "fd00:10:96::/112,10.96.0.0/16"}, {}, "same families in the same order"),
    ({"pod_cidrs": "10.244.0.0/16,10.245.0.0/16"}, {}, "must be of different IP family"),
    ({"service_cidrs": "10.96.0.0/16,10.97.0.0/16"}, {}, "must be of different IP family"),
    ({"pod_cidrs": "10.244.0.0/16,fd00:10:244::/56,fd01::/56"}, {}, "must not contain more than two entries"),
    ({"pod_cidrs": "fd00:10:244::/56", "service_cidrs": "fd00:10:96::/112"}, {}, "does not keep the current"),
    ({"pod_cidrs": ""}, {}, "no CIDR given"),
    ({"service_cidrs": []}, {}, "no CIDR given"),
    ({"pod_cidrs": "10.244.0.0/16,"}, {}, "empty entry"),
    # existing ranges changed
    ({"pod_cidrs": "10.245.0.0/16,fd00:10:244::/56"}, {}, "does not keep the current --cluster-cidr[0]=10.244.0.0/16"),
    ({"pod_cidrs": "10.244.0.0/15,fd00:10:244::/56"}, {}, "does not keep the current --cluster-cidr[0]"),
    ({"service_cidrs": "10.96.0.0/12,fd00:10:96::/112"}, {}, "does not keep the current --service-cluster-ip-range[0]"),
    ({}, {"service_cidrs": {"cp1": "10.96.0.0/16", "cp2": "10.96.0.0/12"}}, "control-plane nodes disagree"),
    ({}, {"pod_cidrs": {"cp1": "10.244.0.0/16", "cp2": "10.245.0.0/16"}}, "control-plane nodes disagree on --cluster-cidr"),
    ({}, {"pod_cidrs": {"cp1": "10.244.0.0/16,fd00:10:245::/56"}}, "--cluster-cidr[1]=fd00:10:245::/56"),
    # host bits and syntax
    ({"pod_cidrs": "10.244.0.0/16,fd00:10:244::1/56"}, {}, "did you mean fd00:10:244::/56?"),
    ({"service_cidrs": "10.96.0.1/16,fd00:10:96::/112"}, {}, "did you mean 10.96.0.0/16?"),
    ({"pod_cidrs": "10.244.0.0/16,fd00:10:244::"}, {}, "invalid CIDR address"),
    ({"pod_cidrs": "10.244.0.0/16,fd00:10:244::/129"}, {}, "invalid CIDR address"),
    ({"service_cidrs": "10.96.0.0/16,fd00:10:96:::/112"}, {}, "invalid CIDR address"),
    # sizes per version
    ({"service_cidrs": "10.96.0.0/16,fd00:10:96::/64", "kube_version": "1.33"}, {}, "the mask must be >= 108"),
    ({"service_cidrs": "10.96.0.0/16,fd00:10:96::/107", "kube_version": "v1.30.4"}, {}, "the mask must be >= 108"),
    ({"service_cidrs": "10.96.0.0/16,fd00:10:96::/125"}, {}, "subnet with 8 address(es) is too small"),
    ({"service_cidrs": "10.96.0.0/16,fd00:10:96::/128"}, {}, "too small, the minimum is 10"),
    ({"kube_version": "1.15"}, {}, "no IPv4/IPv6 dual-stack support"),
    ({"kube_version": "latest"}, {}, "not a Kubernetes version"),
    ({"kube_version": "1.20"}, {}, "Kubernetes 1.20; the collection converts 1.21 and newer"),
    ({"kube_version": "1.33"}, {}, "dualstack_kube_version is 1.33 but the cluster's kube-apiserver reports v1.34.12"),
    ({}, {"node_objects": [node("cp1", "192.168.77.11", "10.244.0.0/24"), node("w1", "192.168.77.21", "10.244.1.0/24"),
                           node("w2", "192.168.77.22", "10.244.2.0/24", kubelet="v1.20.15")]},
     "the kubelet of Node w2 runs Kubernetes v1.20.15"),
    # mask arithmetic and capacity
    ({"node_mask_ipv6": 80}, {}, "difference is greater than 16"),
    ({"node_mask_ipv6": 48}, {}, "mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size"),
    ({"node_mask_ipv4": 15}, {}, "node_mask_ipv4=15 but the cluster runs /24 for ipv4"),
    ({"node_mask_ipv4": 26}, {}, "node_mask_ipv4=26 but the cluster runs /24"),
    ({}, {"controller_manager": {"cp1": {"node-cidr-mask-size": "26"}}}, "Nodes hold other sizes (cp1 10.244.0.0/24"),
    ({}, {"controller_manager": {"cp1": {"node-cidr-mask-size": "24"}, "cp2": {"node-cidr-mask-size": "25"}}},
     "control-plane nodes disagree on the IPv4 node mask (cp1 /24, cp2 /25)"),
    ({"node_mask_ipv6": 126}, {}, "difference is greater than 16"),
    ({"node_mask_ipv6": 57}, {}, "node mask /57 for fd00:10:244::/56 gives 2 node block(s)"),
    ({"pod_cidrs": "10.244.0.0/16,fd00:10:244::/120"}, {}, "cannot hold 6 node(s) at 110 pods per node"),
    ({"pod_cidrs": "10.244.0.0/16,fd00:10:244::/56", "node_count": 300, "node_mask_ipv6": 64}, {}, "node block(s)"),
    ({"max_pods": 0}, {}, "max_pods must be a positive integer"),
    # overlaps
    ({"service_cidrs": "10.96.0.0/16,fd00:10:244:ff::/112"}, {}, "overlaps Service range fd00:10:244:ff::/112"),
    ({"node_cidrs": "192.168.77.0/24,fd00:10:244::/64"}, {}, "overlaps node range fd00:10:244::/64"),
    ({"node_cidrs": "10.96.0.0/24,fd00:77::/64"}, {}, "overlaps node range 10.96.0.0/24"),
    # node addresses
    ({"nodes": {"cp1": "192.168.77.11,::1", "w1": "", "w2": ""}}, {}, "::1 is a loopback address"),
    ({"nodes": {"cp1": "192.168.77.11,fe80::1", "w1": "", "w2": ""}}, {}, "link-local"),
    ({"nodes": {"cp1": "192.168.77.11,fd00:77::99", "w1": "", "w2": ""}}, {}, "lists fd00:77::99 but the host has no such address"),
    ({"nodes": {"cp1": "192.168.77.11,fd00:77::11,fd00:77::12", "w1": "", "w2": ""}}, {}, "two IPv6 addresses"),
    ({"nodes": {"cp1": "192.168.77.11,fd00:10:244::5", "w1": "", "w2": ""}},
     {"interfaces": dict(CURRENT["interfaces"], cp1=eth0("192.168.77.11", "fd00:10:244::5"))}, "lies inside the cluster range"),
    ({}, _no_v6("w2"), "node w2 has no usable global IPv6 address on eth0"),
    ({}, {"interfaces": dict(CURRENT["interfaces"], w1=eth0("192.168.77.21", extra=[
        {"local": "fd00:77::21", "scope": "global", "deprecated": True}]))}, "node w1 has no usable global IPv6"),
    ({}, {"interfaces": dict(CURRENT["interfaces"], w1=eth0("192.168.77.21", extra=[
        {"local": "fe80::21", "scope": "link"}]))}, "node w1 has no usable global IPv6"),
    ({}, {"interfaces": dict(CURRENT["interfaces"], w1=eth0("192.168.77.21", extra=[
        {"local": "fd00:77::1:21", "scope": "global", "temporary": True, "valid_life_time": 600}]))},
     "fd00:77::1:21 on eth0: temporary (RFC 4941 privacy address)"),
    ({}, {"interfaces": dict(CURRENT["interfaces"], w1=eth0("192.168.77.21", extra=[
        {"local": "fd00:77::21", "scope": "global", "dynamic": True, "valid_life_time": 86400}]))},
     "fd00:77::21 on eth0: finite lifetime (valid_lft 86400s)"),
    ({}, {"interfaces": dict(CURRENT["interfaces"], w1=eth0("192.168.77.21", "fd00:77::21", "fd00:77::1:21"))},
     "node w1: 2 usable global IPv6 addresses on eth0 (fd00:77::1:21, fd00:77::21)"),
    ({"nodes": {"cp1": "192.168.77.99,fd00:77::11", "w1": "", "w2": ""}},
     {"interfaces": dict(CURRENT["interfaces"], cp1=eth0("192.168.77.11", "fd00:77::11", extra=[
         {"local": "192.168.77.99", "scope": "global"}]))}, "never changes a node's IPv4 address"),
    ({}, {"kubelet_flags": {"cp1": {}, "w1": {"node-ip": "192.168.77.21"}, "w2": {"node-ip": "192.168.77.22"}},
          "node_objects": [node("w1", "192.168.77.21", "10.244.1.0/24"), node("w2", "192.168.77.22", "10.244.2.0/24")]},
     "node cp1: no Node named cp1 in the API and no --node-ip"),
    ({}, {"node_objects": [node("cp1", "192.168.77.11", "10.244.0.0/24"), node("w1", "192.168.77.31", "10.244.1.0/24"),
                           node("w2", "192.168.77.22", "10.244.2.0/24")]},
     "node w1: its IPv4 InternalIP 192.168.77.31 is on none of the host's interfaces"),
    ({}, {"disable_ipv6": {"cp1": "0", "w1": "1", "w2": "0"}}, "node w1 has IPv6 disabled"),
    # the Nodes the conversion can take
    ({}, {"node_objects": CURRENT["node_objects"] + [node("w3", "192.168.77.23", "10.244.3.0/24")]},
     "1 Node(s) of the cluster are not in the inventory's k8s_cluster group: w3"),
    ({}, {"kubelet_flags": dict(CURRENT["kubelet_flags"], w2={"node-ip": "192.168.77.22", "register-node": "false"})},
     "w2: its kubelet runs --register-node=false"),
    ({}, {"node_objects": CURRENT["node_objects"][:2] + [node("w2", "192.168.77.22", "10.244.2.0/24",
                                                              annotations={"cluster.x-k8s.io/machine": "md-0-abc"})]},
     "w2: a Cluster API Machine (md-0-abc)"),
    # no --cluster-cidr (Calico IPAM without podSubnet)
    ({}, {"pod_cidrs": {"cp1": None}}, "runs without --cluster-cidr and no CNI IP pool of the primary family (IPv4)"),
    ({"nodes": {}}, {}, "no nodes in the inventory"),
    # CNIs the collection cannot convert (refused before any change, never drained on a guess)
    ({}, {"cni": _cni(daemonsets=[_CILIUM], configmaps=[_cm("kube-system", "cilium-config", {"ipam": "cluster-pool"})],
                      conf={"plugins": [{"type": "cilium-cni"}]})}, "Cilium runs"),
    ({}, {"cni": _cni(daemonsets=[_WEAVE], conf={"plugins": [{"type": "weave-net"}]})}, "Weave Net runs"),
    ({}, {"cni": _cni(conf={"plugins": [{"type": "corp-net"}]})}, "corp-net"),
    ({}, {"cni": _cni(declared="flannel")}, "dualstack_cni: 'flannel'"),
    ({}, {"cni": _cni(declared="external")}, "dualstack_cni_reregister"),
    # stale gates
    ({"current_feature_gates": "IPv6DualStack"}, {}, "missing bool value for IPv6DualStack"),
    ({"current_feature_gates": "IPv6DualStack=maybe"}, {}, "invalid value of IPv6DualStack=maybe"),
]


@pytest.mark.parametrize("overrides, current_patch, words", BAD, ids=["bad%02d" % i for i in range(len(BAD))])
def test_bad_target_fails_in_preflight(overrides, current_patch, words):
    with pytest.raises(DualStackError) as err:
        target(current_patch, **overrides)
    assert words in str(err.value)


def test_there_are_at_least_forty_bad_targets():
    assert len(BAD) >= 40


def test_stale_gate_is_stripped_not_rejected_on_new_versions():
    assert target(current_feature_gates="IPv6DualStack=true")["kube-apiserver"]["feature-gates"] is None


def test_a_26_cluster_keeps_26_and_gets_an_ipv6_mask_for_twice_its_nodes():
    nodes = [node(h, ip, cidr) for h, ip, cidr in (("cp1", "192.168.77.11", "10.244.0.0/26"), ("w1", "192.168.77.21", "10.244.0.64/26"),
                                                   ("w2", "192.168.77.22", "10.244.0.128/26"))]
    plan = target({"controller_manager": {"cp1": {"node-cidr-mask-size": "26"}}, "node_objects": nodes}, max_pods=50)
    assert plan["node_masks"] == {"ipv4": 26, "ipv6": 64}
    assert plan["kube-controller-manager"]["node-cidr-mask-size-ipv4"] == 26
    assert plan["kube-controller-manager"]["node-cidr-mask-size"] is None


def test_a_node_without_node_ip_is_anchored_on_its_internal_ip():
    """w2's kubelet has no --node-ip; a storage NIC comes first and its node interface holds a temporary IPv6."""
    w2 = [{"ifname": "lo", "addr_info": [{"local": "127.0.0.1", "scope": "host"}]},
          {"ifname": "ens3", "addr_info": [{"local": "10.9.0.22", "scope": "global"}, {"local": "fd09::22", "scope": "global"}]},
          {"ifname": "ens4", "addr_info": [{"local": "192.168.77.22", "scope": "global"},
                                           {"local": "fd00:77::1:a:b:c", "scope": "global", "temporary": True, "valid_life_time": 3600},
                                           {"local": "fd00:77::22", "scope": "global", "mngtmpaddr": True}]}]
    plan = target({"kubelet_flags": dict(CURRENT["kubelet_flags"], w2={}), "interfaces": dict(CURRENT["interfaces"], w2=w2)})
    assert plan["kubelet"]["w2"]["node-ip"] == "192.168.77.22,fd00:77::22"


def test_calico_without_cluster_cidr_takes_the_pod_range_from_its_pool():
    calico = {"daemonsets": [_KUBE_PROXY, {"namespace": "kube-system", "name": "calico-node", "configmaps": ["calico-config"],
                                           "images": ["quay.io/calico/node:v3.32.1", "quay.io/calico/cni:v3.32.1"],
                                           "selector": {"k8s-app": "calico-node"}}],
              "configmaps": [_cm("kube-system", "calico-config", {"calico_backend": "vxlan", "cni_network_config": json.dumps(
                  {"plugins": [{"type": "calico", "ipam": {"type": "calico-ipam"}}]})})],
              "node_configs": {h: [{"plugins": [{"type": "calico", "ipam": {"type": "calico-ipam"}}]}] for h in ("cp1", "w1", "w2")},
              "ippools": [{"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "default-ipv4-ippool"},
                           "spec": {"cidr": "10.244.0.0/16"}}]}
    plan = target({"pod_cidrs": {"cp1": None}, "controller_manager": {"cp1": {}}, "cni": calico,
                   "node_objects": [node(h, ip) for h, ip in (("cp1", "192.168.77.11"), ("w1", "192.168.77.21"), ("w2", "192.168.77.22"))]})
    assert plan["cni"]["name"] == "calico" and plan["reregister_nodes"] is False
    assert plan["kube-controller-manager"]["cluster-cidr"] == "10.244.0.0/16,fd00:10:244::/56"


def test_the_declared_release_may_be_given_as_the_cluster_runs_it():
    assert target(kube_version="1.34")["kube_version"] == "1.34"


def test_a_node_outside_the_inventory_with_both_families_is_converted_through_the_api_only():
    """pool-1's kubelet (managed elsewhere) already reports both families; the CNI keeps node podCIDRs."""
    calico_nodes = CURRENT["node_objects"] + [node("pool-1", "192.168.77.31", "fd00:77::31", "10.244.3.0/24")]
    plan = target({"node_objects": calico_nodes, "outside_inventory": "api_only",
                   "cni": dict(CURRENT["cni"], declared="external", reregister=True)})
    assert plan["nodes_api_only"] == ["pool-1"]
    assert "nodes outside the inventory, converted through the API only (kubelets untouched): pool-1" in plan["summary"]
    assert "pool-1" not in plan["kubelet"]
    # Without api_only, or under the lab's bridge CNI (whose bridge keeps the old gateway), it is refused.
    with pytest.raises(DualStackError, match="not in the inventory's k8s_cluster group: pool-1"):
        target({"node_objects": calico_nodes})
    with pytest.raises(DualStackError, match="the bridge CNI's bridge on it keeps the old gateway"):
        target({"node_objects": calico_nodes, "outside_inventory": "api_only"})
    assert target()["nodes_api_only"] == []


def test_a_release_never_run_live_is_refused_with_the_others_unless_allowed():
    with pytest.raises(DualStackError) as err:
        target({"server_version": "v1.32.9", "disable_ipv6": dict(CURRENT["disable_ipv6"], w1="1")}, kube_version="v1.32.9")
    text = str(err.value)
    assert "2 problems" in text and "Kubernetes v1.32.9, outside the releases" in text and "w1" in text
    plan = target({"server_version": "v1.32.9", "allow_untested_release": True}, kube_version="v1.32.9")
    assert plan["kube_version"] == "1.32"


def test_independent_mistakes_are_reported_together():
    """Three mistakes, one run: kubeadm's field.ErrorList way."""
    with pytest.raises(DualStackError) as err:
        target({"disable_ipv6": dict(CURRENT["disable_ipv6"], w1="1"), "server_version": "v1.34.12"},
               kube_version="v1.33.4", max_pods="lots", nodes={"cp1": "", "w1": "", "w2": "192.168.77.99"})
    text = str(err.value)
    assert text.startswith("4 problems, each to fix before anything changes: (1) ")
    for words in ("v1.33.4", "w1", "max_pods", "192.168.77.99"):
        assert words in text, words
    # A target that does not parse is still checked against the cluster where no range is needed.
    with pytest.raises(DualStackError) as err:
        target({"disable_ipv6": dict(CURRENT["disable_ipv6"], w2="1")}, pod_cidrs="10.244.0.0/16,fd00:10:244::/33x")
    assert "2 problems" in str(err.value) and "w2" in str(err.value)


def test_the_plan_carries_each_hosts_gates_from_what_preflight_read():
    plan = target({"component_flags": {"cp1": {"kube-apiserver": {"feature-gates": "IPv6DualStack=true,X=true"},
                                               "kubelet": {"node-ip": "192.168.77.11"}},
                                       "w1": {"kubelet": {"feature-gates": "IPv6DualStack=true"}}}})
    assert plan["feature_gates"] == {"cp1": {"kube-apiserver": {"feature-gates": "X=true"}, "kubelet": {}},
                                     "w1": {"kubelet": {"feature-gates": None}}}
    # The printed plan shows what is written.
    assert "kube-apiserver on cp1: --feature-gates=X=true" in plan["summary"]
    assert "kubelet on w1: --feature-gates=(removed)" in plan["summary"]
    # The cluster-wide input is not what is written on a live cluster: it is not printed either.
    assert "feature-gates" not in plan["kube-apiserver"] and "feature-gates" not in plan["kubelet"]["w1"]


def test_a_bad_gate_value_read_on_a_host_is_reported_with_the_others():
    with pytest.raises(DualStackError) as err:
        target({"component_flags": {"w1": {"kubelet": {"feature-gates": "IPv6DualStack=maybe"}}}}, max_pods=0)
    assert "IPv6DualStack=maybe" in str(err.value) and "max_pods" in str(err.value)


# An HA rollout edits one control plane at a time: a run killed between two of them (or an apiserver restored)
# leaves some on the current value and the others at the target; the next run takes over (review finding H1).
CP3 = ("cp1", "cp2", "cp3")
SINGLE = {"service": "10.96.0.0/16", "pod": "10.244.0.0/16"}
DUAL = {"service": "10.96.0.0/16,fd00:10:96::/112", "pod": "10.244.0.0/16,fd00:10:244::/56"}
KCM_DUAL = {"cluster-cidr": DUAL["pod"], "node-cidr-mask-size-ipv4": "24", "node-cidr-mask-size-ipv6": "64",
            "allocate-node-cidrs": "true"}
KCM_SINGLE = {"cluster-cidr": SINGLE["pod"], "allocate-node-cidrs": "true"}


def _split(converted_apiservers, converted_kcms):
    return {"service_cidrs": {h: (DUAL if h in converted_apiservers else SINGLE)["service"] for h in CP3},
            "pod_cidrs": {h: (DUAL if h in converted_kcms else SINGLE)["pod"] for h in CP3},
            "controller_manager": {h: dict(KCM_DUAL if h in converted_kcms else KCM_SINGLE) for h in CP3}}


@pytest.mark.parametrize("apiservers", [(), ("cp1",), ("cp1", "cp2"), CP3, ("cp2",), ("cp1", "cp3")])
@pytest.mark.parametrize("kcms", [(), ("cp1",), ("cp1", "cp2"), CP3])
def test_a_half_converted_ha_control_plane_is_planned_to_the_target(apiservers, kcms):
    plan = target(_split(apiservers, kcms))
    assert plan["kube-apiserver"]["service-cluster-ip-range"] == DUAL["service"]
    assert plan["kube-controller-manager"]["cluster-cidr"] == DUAL["pod"]
    assert plan["node_masks"] == {"ipv4": 24, "ipv6": 64}


def test_a_half_converted_control_plane_must_be_at_this_target():
    # cp1 was converted with another IPv6 range than the one given now: refused, naming the flag and index.
    split = _split(("cp1",), ())
    split["service_cidrs"]["cp1"] = "10.96.0.0/16,fd00:99::/112"
    with pytest.raises(DualStackError, match=r"does not keep the current --service-cluster-ip-range\[1\]=fd00:99::/112"):
        target(split)


@pytest.mark.parametrize("values", [
    {"cp1": "10.96.0.0/16", "cp2": "10.96.0.0/16,fd00:10:96::/112", "cp3": "10.96.0.0/12"},
    {"cp1": "10.96.0.0/16,fd00:10:96::/112", "cp2": "10.96.0.0/16,fd00:99::/112"},
    {"cp1": "10.96.0.0/16", "cp2": "10.97.0.0/16,fd00:10:96::/112"},
    {"cp1": "fd00:10:96::/112", "cp2": "fd00:10:96::/112,10.96.0.0/16", "cp3": "10.96.0.0/16"},
])
def test_control_planes_split_otherwise_are_refused_naming_each(values):
    with pytest.raises(DualStackError, match="control-plane nodes disagree on --service-cluster-ip-range") as err:
        target({"service_cidrs": values})
    assert all("%s: %s" % item in str(err.value) for item in values.items())


def test_the_plan_says_whether_the_controller_managers_start_node_ipam():
    assert target()["node_ipam"] is True
    assert target({"controller_manager": {"cp1": {"cluster-cidr": "10.244.0.0/16", "allocate-node-cidrs": "true",
                                                  "controllers": "*,-nodeipam"}}})["node_ipam"] is False


def test_load_balancer_hooks_are_checked_with_the_other_rules():
    hook_in = {"argv": ["socat", "-", "UNIX-CONNECT:/run/lb.sock"], "stdin": "set server api/cp1 state ready"}
    with pytest.raises(DualStackError) as err:
        target({"rotation_out": {"cp1": {"argv": "socat - UNIX-CONNECT:/run/lb.sock"}}, "rotation_in": {"cp1": {}},
                "disable_ipv6": dict(CURRENT["disable_ipv6"], w1="1")})
    text = str(err.value)
    assert "2 problems" in text and "w1" in text
    assert "control_plane_rotation_out on cp1 argv 'socat - UNIX-CONNECT:/run/lb.sock' is not a non-empty list" in text
    assert "control_plane_rotation_in is not" in text
    plan = target({"rotation_out": {"cp1": dict(hook_in, drain_seconds=1)}, "rotation_in": {"cp1": hook_in}})
    assert plan["kube-apiserver"]


def test_someone_elses_verify_namespace_is_refused_with_the_other_rules():
    foreign = {"name": "dualstack-verify", "read": json.dumps({"kind": "Namespace", "metadata": {"name": "dualstack-verify"}})}
    with pytest.raises(DualStackError) as err:
        target({"verify_namespace": foreign, "disable_ipv6": dict(CURRENT["disable_ipv6"], w1="1")})
    text = str(err.value)
    assert "2 problems" in text and "w1" in text
    assert "namespace dualstack-verify exists but was not created by the verify role" in text
    ours = {"name": "dualstack-verify", "read": json.dumps({"kind": "Namespace", "metadata": {
        "name": "dualstack-verify", "labels": {"app.kubernetes.io/name": "dualstack-verify"}}})}
    assert target({"verify_namespace": ours})["kube-apiserver"]
