# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which CNI runs: the published manifests in fixtures/cni/ and hand-written objects of the CNIs that are refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.dualstack.kubernetes.plugins.filter import cni_detect as cni_detect_filter
from ansible_collections.dualstack.kubernetes.plugins.module_utils import cni_detect as detect
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_objects import load_embedded_json
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

FIXTURES = Path(__file__).parent / "fixtures" / "cni"
PODS = "10.244.0.0/16,fd00:10:244::/56"
HOSTS = ("cp1", "w1", "w2")
KUBE_PROXY = {"namespace": "kube-system", "name": "kube-proxy", "images": ["registry.k8s.io/kube-proxy:v1.34.1"],
              "configmaps": ["kube-proxy"]}
EXTERNAL = "set dualstack_cni: external with dualstack_cni_reregister"


# ---------------------------------------------------------------------------------------------
# objects: the published manifests, and minimal hand-written ones
# ---------------------------------------------------------------------------------------------


def docs(name):
    return [doc for doc in yaml.safe_load_all((FIXTURES / name).read_text()) if doc]


def summary(daemonset):
    """What preflight's ``kubectl get ds -A -o jsonpath`` gives for a DaemonSet: images and ConfigMap volumes."""
    spec = daemonset["spec"]["template"]["spec"]
    return {
        "namespace": daemonset["metadata"]["namespace"],
        "name": daemonset["metadata"]["name"],
        "images": [c["image"] for c in spec.get("initContainers", []) + spec["containers"]],
        "configmaps": [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v],
        "selector": daemonset["spec"]["selector"].get("matchLabels", {}),
    }


def published(name):
    """The DaemonSet summaries (plus kube-proxy) and ConfigMaps of a published manifest, as live objects."""
    objects = docs(name)
    configmaps = [copy.deepcopy(d) for d in objects if d["kind"] == "ConfigMap"]
    for item in configmaps:
        item["metadata"].update({"resourceVersion": "4711", "uid": "0b7c9a8e-1111-4222-8333-944455556666"})
    return [KUBE_PROXY] + [summary(d) for d in objects if d["kind"] == "DaemonSet"], configmaps


def configmap(namespace, name, data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}, "data": data}


def on_nodes(*documents, hosts=HOSTS):
    return {host: [copy.deepcopy(doc) for doc in documents] for host in hosts}


def with_net_conf(item, **changes):
    """flannel's ConfigMap with net-conf.json keys changed."""
    result = copy.deepcopy(item)
    conf = json.loads(result["data"]["net-conf.json"])
    conf.update(changes)
    result["data"]["net-conf.json"] = json.dumps(conf, indent=2) + "\n"
    return result


FLANNEL_DS, FLANNEL_CMS = published("kube-flannel-v0.20.2.yml.txt")
FLANNEL_OLD_DS, FLANNEL_OLD_CMS = published("kube-flannel.yml.txt")
CALICO_DS, CALICO_CMS = published("calico.yaml.txt")
#: What flannel's install-cni container copies to /etc/cni/net.d/10-flannel.conflist.
FLANNEL_CONF = json.loads(FLANNEL_CMS[0]["data"]["cni-conf.json"])
#: What Calico's install-cni writes to /etc/cni/net.d/10-calico.conflist (placeholders left in).
CALICO_CONF = load_embedded_json(CALICO_CMS[0]["data"]["cni_network_config"], "calico-config")
#: The lab's CNI: bridge + host-local, written from the node's podCIDRs by a systemd agent (lab/dslab/podnet_agent.py).
LAB_CONF = {
    "cniVersion": "1.0.0", "name": "dslab",
    "plugins": [
        {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": False, "hairpinMode": True,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
    ],
}

CILIUM_DS = {"namespace": "kube-system", "name": "cilium", "configmaps": ["cilium-config"],
             "images": ["quay.io/cilium/cilium:v1.16.0@sha256:46ffa4ef3cf6d8885dcc4af5963b0683f7d59daa90d49ed9fb68d3b1627fe058",
                        "quay.io/cilium/cilium:v1.16.0@sha256:46ffa4ef3cf6d8885dcc4af5963b0683f7d59daa90d49ed9fb68d3b1627fe058"]}
CILIUM_ENVOY_DS = {"namespace": "kube-system", "name": "cilium-envoy", "configmaps": ["cilium-envoy-config"],
                   "images": ["quay.io/cilium/cilium-envoy:v1.29.7-39a2a56bbd5b3a591f69dbca51d3e30ef97e0e51"]}
CILIUM_CONF = {"cniVersion": "0.3.1", "name": "cilium",
               "plugins": [{"type": "cilium-cni", "enable-debug": False, "log-file": "/var/run/cilium/cilium-cni.log"}]}


def cilium_config(ipam):
    data = {"cluster-pool-ipv4-cidr": "10.0.0.0/8", "cluster-pool-ipv4-mask-size": "24", "enable-ipv4": "true",
            "enable-ipv6": "false", "routing-mode": "tunnel", "tunnel-protocol": "vxlan"}
    if ipam is not None:
        data["ipam"] = ipam
    return configmap("kube-system", "cilium-config", data)


WEAVE_DS = {"namespace": "kube-system", "name": "weave-net", "configmaps": [],
            "images": ["weaveworks/weave-kube:2.8.1", "weaveworks/weave-kube:2.8.1", "weaveworks/weave-npc:2.8.1"]}
WEAVE_CONF = {"cniVersion": "0.3.0", "name": "weave",
              "plugins": [{"name": "weave", "type": "weave-net", "hairpinMode": True},
                          {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True}]}
ANTREA_DS = {"namespace": "kube-system", "name": "antrea-agent", "configmaps": ["antrea-config"],
             "images": ["antrea/antrea-agent-ubuntu:v2.1.0", "antrea/antrea-agent-ubuntu:v2.1.0"]}
ANTREA_CONF = {"cniVersion": "0.3.0", "name": "antrea",
               "plugins": [{"type": "antrea", "ipam": {"type": "host-local"}},
                           {"type": "portmap", "capabilities": {"portMappings": True}},
                           {"type": "bandwidth", "capabilities": {"bandwidth": True}}]}
KUBE_ROUTER_DS = {"namespace": "kube-system", "name": "kube-router", "configmaps": ["kube-router-cfg"],
                  "images": ["docker.io/cloudnativelabs/kube-router", "docker.io/cloudnativelabs/kube-router"]}
KUBE_ROUTER_CONF = {"cniVersion": "0.3.0", "name": "mynet",
                    "plugins": [{"name": "kubernetes", "type": "bridge", "bridge": "kube-bridge", "isDefaultGateway": True,
                                 "ipam": {"type": "host-local"}}]}
CANAL_DS = {"namespace": "kube-system", "name": "canal", "configmaps": ["canal-config"],
            "images": ["docker.io/calico/cni:v3.28.0", "docker.io/calico/node:v3.28.0", "quay.io/coreos/flannel:v0.15.1"]}
CANAL_CNI = {"name": "k8s-pod-network", "cniVersion": "0.3.1",
             "plugins": [{"type": "calico", "log_level": "info", "datastore_type": "kubernetes",
                          "nodename": "__KUBERNETES_NODE_NAME__",
                          "mtu": "__CNI_MTU__", "ipam": {"type": "host-local", "subnet": "usePodCidr"},
                          "policy": {"type": "k8s"}, "kubernetes": {"kubeconfig": "__KUBECONFIG_FILEPATH__"}},
                         {"type": "portmap", "snat": True, "capabilities": {"portMappings": True}}]}
CANAL_CM = configmap("kube-system", "canal-config", {
    "typha_service_name": "none", "calico_backend": "none", "veth_mtu": "0", "canal_iface": "", "masquerade": "true",
    "cni_network_config": json.dumps(CANAL_CNI, indent=2),
    "net-conf.json": '{\n  "Network": "10.244.0.0/16",\n  "Backend": {\n    "Type": "vxlan"\n  }\n}\n'})
OPERATOR_DS = {"namespace": "calico-system", "name": "calico-node", "configmaps": ["cni-config", "tigera-ca-bundle"],
               "images": ["docker.io/calico/pod2daemon-flexvol:v3.32.1", "docker.io/calico/cni:v3.32.1",
                          "docker.io/calico/node:v3.32.1"]}
KUBESPRAY_FLANNEL_DS = {"namespace": "kube-system", "name": "kube-flannel", "configmaps": ["kube-flannel-cfg"],
                        "images": ["docker.io/flannel/flannel-cni-plugin:v1.6.2-flannel1", "docker.io/flannel/flannel:v0.26.7",
                                   "docker.io/flannel/flannel:v0.26.7"]}
KINDNET_DS = {"namespace": "kube-system", "name": "kindnet", "configmaps": [],
              "images": ["docker.io/kindest/kindnetd:v20240813-c6f155d6"]}
KINDNET_CONF = {"cniVersion": "0.3.1", "name": "kindnet",
                "plugins": [{"type": "ptp", "ipMasq": False, "ipam": {"type": "host-local", "dataDir": "/run/cni-ipam-state",
                                                                      "ranges": [[{"subnet": "10.244.1.0/24"}]]}, "mtu": 1500},
                            {"type": "portmap", "capabilities": {"portMappings": True}}]}
OVN_DS = {"namespace": "ovn-kubernetes", "name": "ovnkube-node", "configmaps": ["ovn-config"],
          "images": ["ghcr.io/ovn-org/ovn-kubernetes/ovn-kube-ubuntu:master"]}
OVN_CONF = {"cniVersion": "0.4.0", "name": "ovn-kubernetes", "type": "ovn-k8s-cni-overlay", "ipam": {}, "dns": {}}
MULTUS_DS = {"namespace": "kube-system", "name": "kube-multus-ds", "configmaps": ["multus-daemon-config"],
             "images": ["ghcr.io/k8snetworkplumbingwg/multus-cni:v4.1.0-thick"]}
MULTUS_CONF = {"cniVersion": "0.3.1", "name": "multus-cni-network",
               "plugins": [{"type": "multus-shim", "logLevel": "verbose", "socketDir": "/run/multus/"}]}


def run(daemonsets, configmaps, node_configs, **kwargs):
    return detect.detect_cni(daemonsets, configmaps, node_configs, **kwargs)


def refusal(daemonsets, configmaps, node_configs, **kwargs):
    with pytest.raises(DualStackError) as info:
        detect.detect_cni(daemonsets, configmaps, node_configs, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------------------------------------
# recognising agents by image, registry ignored, and by DaemonSet name
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("image, path", [
    ("docker.io/calico/node:v3.32.1", (("calico",), "node")),
    ("quay.io/calico/node", (("calico",), "node")),
    ("calico/node:v3.32.1", (("calico",), "node")),
    ("ghcr.io/flannel-io/flannel:v0.28.10", (("flannel-io",), "flannel")),
    ("localhost:5000/mirror/flannel:v0.26.7", (("mirror",), "flannel")),
    ("registry.example:5000/flannel@sha256:0123abcd", ((), "flannel")),
    ("quay.io/cilium/cilium:v1.16.0@sha256:46ff", (("cilium",), "cilium")),
    ("kindnetd", ((), "kindnetd")),
])
def test_image_path_drops_registry_tag_and_digest(image, path):
    assert detect.image_path(image) == path


@pytest.mark.parametrize("images, name, expected", [
    (["ghcr.io/flannel-io/flannel:v0.28.10"], "kube-flannel-ds", ["flannel"]),
    (["docker.io/flannel/flannel:v0.20.2"], "anything", ["flannel"]),
    (["quay.io/coreos/flannel:v0.13.0-rc2"], "kube-flannel-ds-amd64", ["flannel"]),
    (["rancher/mirrored-flannelcni-flannel:v0.19.2"], "kube-flannel", ["flannel"]),
    (["registry.corp.example/k8s/flannel:v0.26.7"], "kube-flannel", ["flannel"]),
    (["docker.io/calico/node:v3.32.1"], "calico-node", ["calico"]),
    (["quay.io/calico/node:v3.27.0"], "node-agent", ["calico"]),
    (["docker.io/calico/cni:v3.28.0", "docker.io/calico/node:v3.28.0", "docker.io/flannel/flannel:v0.24.2"], "x", ["canal"]),
    (["rancher/mirrored-calico-node:v3.26.1"], "canal", ["canal"]),
    (["quay.io/cilium/cilium:v1.16.0"], "cilium", ["cilium"]),
    (["quay.io/cilium/cilium-envoy:v1.29.7"], "cilium-envoy", []),
    (["weaveworks/weave-kube:2.8.1", "weaveworks/weave-npc:2.8.1"], "weave-net", ["weave"]),
    (["antrea/antrea-ubuntu:v1.15.0"], "antrea-agent", ["antrea"]),
    (["antrea/antrea-agent-ubuntu:v2.1.0"], "antrea-agent", ["antrea"]),
    (["docker.io/cloudnativelabs/kube-router:v2.2.0"], "kube-router", ["kube-router"]),
    (["docker.io/kindest/kindnetd:v20240813-c6f155d6"], "kindnet", ["kindnet"]),
    (["ghcr.io/ovn-org/ovn-kubernetes/ovn-kube-ubuntu:master"], "ovnkube-node", ["ovn-kubernetes"]),
    (["ghcr.io/k8snetworkplumbingwg/multus-cni:v4.1.0-thick"], "kube-multus-ds", ["multus"]),
    # not an agent's image: recognised by the DaemonSet name
    (["registry.corp.example/net/agent:1"], "calico-node", ["calico"]),
    (["registry.corp.example/net/agent:1"], "kube-flannel", ["flannel"]),
    # ordinary workloads
    (["registry.k8s.io/kube-proxy:v1.34.1"], "kube-proxy", []),
    (["registry.k8s.io/ip-masq-agent:v2.9.3"], "ip-masq-agent", []),
    (["quay.io/prometheus/node-exporter:v1.8.2"], "node-exporter", []),
])
def test_daemonset_recognised_by_image_then_name(images, name, expected):
    ds = {"namespace": "kube-system", "name": name, "images": images, "configmaps": []}
    assert detect.daemonset_cnis(ds, {}) == expected


def test_daemonset_mounting_flannel_net_conf_is_flannel_whatever_its_name_and_image():
    cms = detect.configmap_index(FLANNEL_OLD_CMS)
    ds = {"namespace": "kube-system", "name": "pod-network", "images": ["registry.corp.example/net/agent:1"],
          "configmaps": ["kube-flannel-cfg"]}
    assert detect.daemonset_cnis(ds, cms) == ["flannel"]
    canal = {"namespace": "kube-system", "name": "pod-network", "images": [], "configmaps": ["canal-config"]}
    assert detect.daemonset_cnis(canal, detect.configmap_index([CANAL_CM])) == ["canal"]


def test_signature_table_is_one_constant_covering_every_cni():
    assert set(detect.CNI_SIGNATURES) == {"flannel", "calico", "bridge", "canal", "cilium", "weave", "antrea", "kube-router",
                                          "kindnet", "ovn-kubernetes", "multus"}
    plugins = [p for sig in detect.CNI_SIGNATURES.values() for p in sig.plugins]
    assert len(plugins) == len(set(plugins))  # a plugin type names one CNI
    for cni, sig in detect.CNI_SIGNATURES.items():
        assert (cni in detect.SUPPORTED) == (sig.procedure == ""), cni


# ---------------------------------------------------------------------------------------------
# supported CNIs: detected from what runs
# ---------------------------------------------------------------------------------------------


ACCEPTED = [
    pytest.param(FLANNEL_DS, FLANNEL_CMS, on_nodes(FLANNEL_CONF), {"pod_cidrs": PODS},
                 {"name": "flannel", "ipam": "flannel", "reregister_nodes": True, "namespace": "kube-flannel",
                  "daemonset": "kube-flannel-ds", "configmap": "kube-flannel-cfg", "restart_agent_per_node": True},
                 id="flannel-v0.20.2-published"),
    pytest.param(FLANNEL_OLD_DS, FLANNEL_OLD_CMS, on_nodes(FLANNEL_CONF), {"pod_cidrs": PODS},
                 {"name": "flannel", "namespace": "kube-system", "daemonset": "kube-flannel-ds",
                  "configmap": "kube-flannel-cfg", "reregister_nodes": True},
                 id="flannel-v0.13-published-kube-system"),
    pytest.param([KUBE_PROXY, KUBESPRAY_FLANNEL_DS], FLANNEL_OLD_CMS, on_nodes(FLANNEL_CONF), {"pod_cidrs": PODS},
                 {"name": "flannel", "namespace": "kube-system", "daemonset": "kube-flannel", "configmap": "kube-flannel-cfg",
                  "restart_agent_per_node": True},
                 id="flannel-kubespray-named-kube-flannel"),
    pytest.param(FLANNEL_DS, FLANNEL_CMS, on_nodes(FLANNEL_CONF), {"declared": "flannel", "pod_cidrs": PODS},
                 {"name": "flannel", "namespace": "kube-flannel", "daemonset": "kube-flannel-ds"},
                 id="flannel-declared"),
    pytest.param(CALICO_DS, CALICO_CMS, on_nodes(CALICO_CONF), {"pod_cidrs": PODS},
                 {"name": "calico", "ipam": "calico-ipam", "reregister_nodes": False, "namespace": "kube-system",
                  "daemonset": "calico-node", "configmap": "calico-config", "restart_agent_per_node": False},
                 id="calico-manifest-published"),
    pytest.param(CALICO_DS, CALICO_CMS, on_nodes(CALICO_CONF), {"declared": "calico"},
                 {"name": "calico", "ipam": "calico-ipam", "reregister_nodes": False}, id="calico-declared"),
    pytest.param([KUBE_PROXY], [], on_nodes(LAB_CONF), {"pod_cidrs": PODS},
                 {"name": "bridge", "ipam": "host-local", "reregister_nodes": True, "namespace": None, "daemonset": None,
                  "configmap": None, "restart_agent_per_node": False},
                 id="lab-bridge-no-daemonset"),
    pytest.param([KUBE_PROXY], [], on_nodes(LAB_CONF), {"declared": ""},
                 {"name": "bridge"}, id="lab-bridge-declared-empty-is-auto"),
    pytest.param([KUBE_PROXY], [], on_nodes(LAB_CONF), {"declared": "bridge"},
                 {"name": "bridge", "ipam": "host-local", "reregister_nodes": True}, id="lab-bridge-declared"),
    pytest.param([KUBE_PROXY, CILIUM_DS], [cilium_config("cluster-pool")], on_nodes(CILIUM_CONF),
                 {"declared": "external", "reregister": False},
                 {"name": "external", "ipam": "external", "reregister_nodes": False, "namespace": None, "daemonset": None,
                  "restart_agent_per_node": False},
                 id="external-cilium-no-reregister"),
    pytest.param([KUBE_PROXY, WEAVE_DS], [], {"cp1": [WEAVE_CONF], "w1": []}, {"declared": "external", "reregister": "true"},
                 {"name": "external", "reregister_nodes": True}, id="external-weave-reregister-node-without-config"),
]


@pytest.mark.parametrize("daemonsets, configmaps, node_configs, kwargs, expected", ACCEPTED)
def test_detected(daemonsets, configmaps, node_configs, kwargs, expected):
    before = copy.deepcopy((daemonsets, configmaps, node_configs))
    found = run(daemonsets, configmaps, node_configs, **kwargs)
    assert set(found) == {"name", "ipam", "reregister_nodes", "namespace", "daemonset", "configmap", "agent_labels", "agent_annotations",
                          "restart_agent_per_node", "evidence"}
    assert {key: found[key] for key in expected} == expected
    # The agent's pod labels come from its DaemonSet's selector; the bridge CNI has no agent.
    agent = [d for d in daemonsets if d.get("name") == found["daemonset"] and d.get("namespace") == found["namespace"]]
    assert found["agent_labels"] == (agent[0].get("selector", {}) if agent else {})
    assert found["evidence"] and all(isinstance(line, str) for line in found["evidence"])
    assert (daemonsets, configmaps, node_configs) == before  # inputs untouched


def test_evidence_names_what_was_seen():
    found = run(FLANNEL_DS, FLANNEL_CMS, on_nodes(FLANNEL_CONF), pod_cidrs=PODS)
    assert found["evidence"] == [
        "DaemonSet kube-flannel/kube-flannel-ds with images docker.io/flannel/flannel-cni-plugin:v1.1.2, "
        "docker.io/flannel/flannel:v0.20.2 -> flannel",
        "node CNI configuration cp1, w1, w2: flannel, portmap",
        "ConfigMap kube-flannel/kube-flannel-cfg data.net-conf.json: backend vxlan, EnableIPv6 false, IPv6Network none",
    ]


def test_calico_host_local_ipam_reregisters_nodes():
    cms = copy.deepcopy(CALICO_CMS)
    cms[0]["data"]["cni_network_config"] = cms[0]["data"]["cni_network_config"].replace(
        '"type": "calico-ipam"', '"type": "host-local", "subnet": "usePodCidr"')
    found = run(CALICO_DS, cms, on_nodes(CALICO_CONF))
    assert (found["ipam"], found["reregister_nodes"]) == ("host-local", True)


def test_flannel_already_dual_stack_with_the_target_range_is_accepted():
    cm = with_net_conf(FLANNEL_CMS[0], EnableIPv6=True, IPv6Network="fd00:10:244::/56")
    assert run(FLANNEL_DS, [cm], on_nodes(FLANNEL_CONF), pod_cidrs=["10.244.0.0/16", "fd00:10:244::/56"])["name"] == "flannel"


def test_rollback_without_target_skips_the_checks_against_it():
    """pod_cidrs=None: the IPv6Network (and backend) checks belong to a conversion, not to the way back."""
    cm = with_net_conf(FLANNEL_CMS[0], EnableIPv6=True, IPv6Network="fd00:99::/56", Backend={"Type": "udp"})
    found = run(FLANNEL_DS, [cm], on_nodes(FLANNEL_CONF))
    assert (found["name"], found["restart_agent_per_node"]) == ("flannel", True)
    assert "IPv6Network fd00:99::/56" in found["evidence"][-1]


def test_configmaps_as_a_kubectl_list():
    listed = {"apiVersion": "v1", "kind": "List", "items": FLANNEL_CMS}
    assert run(FLANNEL_DS, listed, on_nodes(FLANNEL_CONF), pod_cidrs=PODS)["configmap"] == "kube-flannel-cfg"


def test_node_configs_first_document_is_the_one_the_runtime_uses():
    nodes = {host: [LAB_CONF, FLANNEL_CONF] for host in HOSTS}  # 10-dslab.conflist sorts before 10-flannel.conflist
    assert run([KUBE_PROXY], [], nodes)["name"] == "bridge"


# ---------------------------------------------------------------------------------------------
# refusals: each names the value, the rule and the fix
# ---------------------------------------------------------------------------------------------


REFUSED = [
    pytest.param([KUBE_PROXY, CILIUM_DS, CILIUM_ENVOY_DS], [cilium_config("cluster-pool")], on_nodes(CILIUM_CONF), {},
                 ["daemonsets: Cilium runs", "DaemonSet kube-system/cilium with image quay.io/cilium/cilium:v1.16.0@sha256:",
                  "node CNI configuration cp1, w1, w2: cilium-cni", "Cilium ipam cluster-pool (ConfigMap kube-system/cilium-config)",
                  "cannot be converted", 'enable-ipv6: "true"', "cluster-pool-ipv6-cidr", "docs.cilium.io",
                  EXTERNAL + ": false (ipam cluster-pool does not read node.spec.podCIDRs)"],
                 id="cilium-cluster-pool"),
    pytest.param([KUBE_PROXY, CILIUM_DS], [cilium_config(None)], on_nodes(CILIUM_CONF), {},
                 ["Cilium ipam cluster-pool", EXTERNAL + ": false"], id="cilium-default-ipam-is-cluster-pool"),
    pytest.param([KUBE_PROXY, CILIUM_DS], [cilium_config("kubernetes")], on_nodes(CILIUM_CONF), {},
                 ["Cilium ipam kubernetes", "restart cilium-operator and the cilium agents",
                  EXTERNAL + ": true (ipam kubernetes reads node.spec.podCIDRs)"], id="cilium-ipam-kubernetes"),
    pytest.param([KUBE_PROXY, CILIUM_DS], [], on_nodes(CILIUM_CONF), {},
                 ["Cilium runs", "ConfigMap cilium-config not given, IPAM mode unknown", EXTERNAL + ": true|false"],
                 id="cilium-without-its-configmap"),
    pytest.param([KUBE_PROXY], [cilium_config("cluster-pool")], on_nodes(CILIUM_CONF), {},
                 ["node_configs: Cilium runs (node CNI configuration cp1, w1, w2: cilium-cni", "Cilium ipam cluster-pool"],
                 id="cilium-seen-on-nodes-only"),
    pytest.param([KUBE_PROXY, WEAVE_DS], [], on_nodes(WEAVE_CONF), {},
                 ["Weave Net runs", "DaemonSet kube-system/weave-net with images weaveworks/weave-kube:2.8.1",
                  "weave-net, portmap", "no dual-stack support", EXTERNAL], id="weave"),
    pytest.param([KUBE_PROXY, ANTREA_DS], [], on_nodes(ANTREA_CONF), {},
                 ["Antrea runs", "antrea/antrea-agent-ubuntu:v2.1.0", "antrea, portmap, bandwidth",
                  "dual-stack only when the cluster is installed with both pod ranges", EXTERNAL], id="antrea"),
    pytest.param([KUBE_PROXY, KUBE_ROUTER_DS], [], on_nodes(KUBE_ROUTER_CONF), {},
                 ["kube-router runs", "docker.io/cloudnativelabs/kube-router", "node CNI configuration cp1, w1, w2: bridge",
                  "--enable-ipv6=true", "--service-cluster-ip-range once per family", EXTERNAL], id="kube-router-bridge-conflist"),
    pytest.param([KUBE_PROXY, CANAL_DS], [CANAL_CM], on_nodes(CANAL_CNI), {},
                 ["Canal runs", "DaemonSet kube-system/canal", "quay.io/coreos/flannel:v0.15.1",
                  "Canal ipam host-local (ConfigMap kube-system/canal-config)",
                  "convert it by hand as Calico", "plus flannel",
                  EXTERNAL + ": true (ipam host-local reads node.spec.podCIDRs)"], id="canal"),
    pytest.param([KUBE_PROXY, KINDNET_DS], [], on_nodes(KINDNET_CONF), {},
                 ["kindnet runs", "kindest/kindnetd", "ptp, portmap", "networking.ipFamily: dual", EXTERNAL + ": true"],
                 id="kindnet"),
    pytest.param([KUBE_PROXY, OVN_DS], [], on_nodes(OVN_CONF), {},
                 ["OVN-Kubernetes runs", "ovn-kubernetes/ovnkube-node", "ovn-k8s-cni-overlay", "net-cidr", EXTERNAL],
                 id="ovn-kubernetes"),
    pytest.param([KUBE_PROXY, MULTUS_DS], [], on_nodes(MULTUS_CONF), {},
                 ["Multus runs", "multus-cni:v4.1.0-thick", "multus-shim", "meta plugin", EXTERNAL], id="multus-alone"),
    pytest.param([KUBE_PROXY], [], on_nodes({"cniVersion": "1.0.0", "name": "corp", "plugins": [{"type": "corp-net"}]}), {},
                 ["node_configs: an unknown CNI runs (node CNI configuration cp1, w1, w2: corp-net)",
                  "convert it by its own documentation", EXTERNAL], id="unknown-plugin-type"),
    pytest.param([KUBE_PROXY, OPERATOR_DS], [], on_nodes(CALICO_CONF), {},
                 ["calico-node runs in namespace calico-system", "docker.io/calico/node:v3.32.1",
                  "operator-managed Calico (tigera-operator)",
                  "add the IPv6 pool to the Installation resource (spec.calicoNetwork.ipPools) instead", EXTERNAL + ": false"],
                 id="calico-operator"),
    pytest.param(CALICO_DS, [], on_nodes(CALICO_CONF), {},
                 ["calico-node runs in namespace kube-system", "no calico-config ConfigMap there", "Installation resource"],
                 id="calico-without-calico-config"),
    pytest.param(FLANNEL_DS + [CILIUM_DS], FLANNEL_CMS + [cilium_config("cluster-pool")], on_nodes(FLANNEL_CONF), {},
                 ["several CNI agents run at once", "flannel: DaemonSet kube-flannel/kube-flannel-ds",
                  "Cilium: DaemonSet kube-system/cilium", "remove the leftover CNI before converting", EXTERNAL],
                 id="two-agents"),
    pytest.param(FLANNEL_DS + [MULTUS_DS], FLANNEL_CMS, on_nodes(MULTUS_CONF), {},
                 ["several CNI agents run at once", "Multus: DaemonSet kube-system/kube-multus-ds"], id="multus-over-flannel"),
    pytest.param(FLANNEL_DS + [dict(FLANNEL_DS[1], name="kube-flannel-ds-arm64")], FLANNEL_CMS, on_nodes(FLANNEL_CONF), {},
                 ["several flannel DaemonSets run", "kube-flannel/kube-flannel-ds-arm64", "keep one DaemonSet per CNI"],
                 id="flannel-per-arch-daemonsets"),
    pytest.param([KUBE_PROXY], [], {"cp1": [LAB_CONF], "w1": [FLANNEL_CONF], "w2": [LAB_CONF]}, {},
                 ["node_configs: nodes disagree on the CNI", "cp1, w2: bridge, portmap; w1: flannel, portmap",
                  "give every node the same CNI"], id="nodes-disagree"),
    pytest.param([KUBE_PROXY], [], {"cp1": [LAB_CONF], "w1": [], "w2": [LAB_CONF]}, {},
                 ["node_configs[w1]: no CNI configuration", "install the CNI on that node first", EXTERNAL],
                 id="node-without-cni-config"),
    pytest.param([KUBE_PROXY], [], {}, {}, ["node_configs: no node's CNI configuration given", "/etc/cni/net.d"],
                 id="no-node-configs"),
    pytest.param(FLANNEL_DS, FLANNEL_CMS, on_nodes(LAB_CONF), {},
                 ["DaemonSet kube-flannel/kube-flannel-ds", "the nodes' CNI configuration is cp1, w1, w2: bridge, portmap, "
                  "not flannel: an unknown combination", EXTERNAL], id="flannel-agent-bridge-nodes"),
    pytest.param(FLANNEL_DS, [], on_nodes(FLANNEL_CONF), {"pod_cidrs": PODS},
                 ["configmaps: flannel's ConfigMap with net-conf.json (kube-flannel/kube-flannel-cfg",
                  "was not given", "read the ConfigMap flannel's DaemonSet mounts"], id="flannel-configmap-missing"),
    pytest.param([KUBE_PROXY], [], on_nodes(FLANNEL_CONF), {},
                 ["daemonsets: no flannel DaemonSet runs although the nodes run its plugin", "k3s and RKE2 embed flannel",
                  EXTERNAL + ": true"], id="flannel-without-daemonset"),
    pytest.param(FLANNEL_DS, [with_net_conf(FLANNEL_CMS[0], Backend={"Type": "udp"})], on_nodes(FLANNEL_CONF),
                 {"pod_cidrs": PODS},
                 ["ConfigMap kube-flannel/kube-flannel-cfg data.net-conf.json: flannel backend 'udp' carries IPv4 only",
                  "only vxlan, host-gw and wireguard backends support dual stack",
                  "switch the backend to vxlan, host-gw or wireguard first"], id="flannel-udp-backend"),
    pytest.param(FLANNEL_DS, [with_net_conf(FLANNEL_CMS[0], EnableIPv6=True, IPv6Network="fd00:99::/56")],
                 on_nodes(FLANNEL_CONF), {"pod_cidrs": PODS},
                 ["data.net-conf.json: flannel IPv6Network is already fd00:99::/56 (EnableIPv6 true), not the target pod "
                  "range fd00:10:244::/56", "a running flannel cannot move its range", "give pod_cidrs with fd00:99::/56"],
                 id="flannel-other-ipv6-network"),
    pytest.param(FLANNEL_DS, FLANNEL_CMS, on_nodes(FLANNEL_CONF), {"pod_cidrs": "10.245.0.0/16,fd00:10:244::/56"},
                 ["flannel Network is already 10.244.0.0/16 (EnableIPv6 false), not the target pod range 10.245.0.0/16",
                  "give pod_cidrs with 10.244.0.0/16"], id="flannel-other-ipv4-network"),
    pytest.param(FLANNEL_DS, FLANNEL_CMS, on_nodes(FLANNEL_CONF), {"pod_cidrs": "10.244.0.0/16"},
                 ["pod_cidrs: pod_cidrs '10.244.0.0/16'", "both pod ranges"], id="flannel-target-single-range"),
    pytest.param(CALICO_DS, CALICO_CMS, on_nodes(CALICO_CONF), {"declared": "flannel"},
                 ["dualstack_cni: 'flannel', but Calico runs", "DaemonSet kube-system/calico-node",
                  "set dualstack_cni: calico (or auto)"], id="declared-flannel-calico-runs"),
    pytest.param([KUBE_PROXY], [], on_nodes(LAB_CONF), {"declared": "calico"},
                 ["dualstack_cni: 'calico', but bridge runs (node CNI configuration cp1, w1, w2: bridge, portmap)",
                  "set dualstack_cni: bridge (or auto)"], id="declared-calico-bridge-runs"),
    pytest.param([KUBE_PROXY, CILIUM_DS], [cilium_config("cluster-pool")], on_nodes(CILIUM_CONF), {"declared": "flannel"},
                 ["dualstack_cni: 'flannel', but Cilium runs", "this collection cannot convert Cilium",
                  "daemonsets: Cilium runs", EXTERNAL + ": false"], id="declared-flannel-cilium-runs"),
    pytest.param([KUBE_PROXY], [], on_nodes(LAB_CONF), {"declared": "weave"},
                 ["dualstack_cni: 'weave' is not a CNI choice", "use one of auto, flannel, calico, bridge, external"],
                 id="declared-unknown-choice"),
    pytest.param([KUBE_PROXY, CILIUM_DS], [], on_nodes(CILIUM_CONF), {"declared": "external"},
                 ["dualstack_cni_reregister: None: dualstack_cni external needs to be told whether nodes are re-registered",
                  "set dualstack_cni_reregister: true or false"], id="external-without-reregister"),
    pytest.param([KUBE_PROXY, CILIUM_DS], [], on_nodes(CILIUM_CONF), {"declared": "external", "reregister": "maybe"},
                 ["dualstack_cni_reregister: 'maybe'"], id="external-reregister-not-a-bool"),
    pytest.param([KUBE_PROXY], [], on_nodes(LAB_CONF), {"reregister": True},
                 ["dualstack_cni_reregister: True is set but dualstack_cni is 'auto'", "set dualstack_cni: external"],
                 id="reregister-without-external"),
    pytest.param([KUBE_PROXY], [], on_nodes(dict(LAB_CONF, plugins=[dict(LAB_CONF["plugins"][0], ipam={"type": "dhcp"})])),
                 {}, ["node_configs: bridge IPAM 'dhcp' is not known (known: host-local)", "cannot be judged", EXTERNAL],
                 id="bridge-unknown-ipam-never-reregisters-by-default"),
    pytest.param([KUBE_PROXY], [], {"cp1": [LAB_CONF],
                                    "w1": [dict(LAB_CONF, plugins=[dict(LAB_CONF["plugins"][0], ipam={"type": "dhcp"})])]},
                 {}, ["nodes disagree on the IPAM of their bridge plugin: cp1: host-local; w1: dhcp"], id="nodes-disagree-ipam"),
    pytest.param([KUBE_PROXY, CILIUM_DS], [cilium_config("eni")], on_nodes(CILIUM_CONF), {},
                 ["Cilium ipam eni (ConfigMap kube-system/cilium-config)", EXTERNAL + ": true|false"], id="cilium-ipam-eni"),
    pytest.param(FLANNEL_DS, [dict(FLANNEL_CMS[0], data={"net-conf.json": '{"Network": "10.244.0.0/16",'})],
                 on_nodes(FLANNEL_CONF), {"pod_cidrs": PODS},
                 ["configmaps: ConfigMap kube-flannel/kube-flannel-cfg data.net-conf.json is not valid JSON",
                  "fix flannel's ConfigMap by hand first"], id="flannel-net-conf-not-json"),
    pytest.param(FLANNEL_DS, [with_net_conf(FLANNEL_CMS[0], IPv6Network="fd00:10:244::/560")], on_nodes(FLANNEL_CONF),
                 {"pod_cidrs": PODS}, ["IPv6Network: 'fd00:10:244::/560' is not a CIDR", "fix net-conf.json by hand"],
                 id="flannel-ipv6-network-not-a-cidr"),
    pytest.param(CALICO_DS, [dict(CALICO_CMS[0], data={"cni_network_config": "{not json"})], on_nodes(CALICO_CONF), {},
                 ["configmaps: ConfigMap kube-system/calico-config data.cni_network_config is not valid JSON",
                  "fix the calico-config ConfigMap by hand first"], id="calico-config-not-json"),
    pytest.param([KUBE_PROXY], [], None, {"declared": "bridge"}, ["node_configs: no node's CNI configuration given"],
                 id="declared-bridge-without-node-configs"),
    pytest.param([KUBE_PROXY], [], [LAB_CONF], {}, ["node_configs: [", "is not a mapping", "host -> list of parsed CNI"],
                 id="node-configs-not-a-mapping"),
    pytest.param("kube-proxy", [], on_nodes(LAB_CONF), {}, ["daemonsets: 'kube-proxy' is not a list"], id="daemonsets-not-a-list"),
    pytest.param([{"name": "kube-proxy"}], [], on_nodes(LAB_CONF), {},
                 ["daemonsets[0]: {'name': 'kube-proxy'} is not a DaemonSet summary", "{namespace, name, images, configmaps}"],
                 id="daemonset-summary-incomplete"),
    pytest.param([KUBE_PROXY], [{"data": {}}], on_nodes(LAB_CONF), {}, ["configmaps: {'data': {}} is not a Kubernetes object"],
                 id="configmap-not-an-object"),
]


@pytest.mark.parametrize("daemonsets, configmaps, node_configs, kwargs, expected", REFUSED)
def test_refused(daemonsets, configmaps, node_configs, kwargs, expected):
    message = refusal(daemonsets, configmaps, node_configs, **kwargs)
    for part in expected:
        assert part in message, "%r not in %r" % (part, message)
    assert "; fix: " in message


def test_calico_unknown_ipam_is_refused_never_reregistered_by_default():
    cms = copy.deepcopy(CALICO_CMS)
    cms[0]["data"]["cni_network_config"] = cms[0]["data"]["cni_network_config"].replace('"calico-ipam"', '"whereabouts"')
    message = refusal(CALICO_DS, cms, on_nodes(CALICO_CONF))
    assert message.startswith("ConfigMap kube-system/calico-config data.cni_network_config: calico IPAM 'whereabouts' is not "
                              "known (known: calico-ipam, host-local)")
    assert EXTERNAL in message


def test_one_problem_is_one_line():
    message = refusal([KUBE_PROXY, WEAVE_DS], [], on_nodes(WEAVE_CONF))
    assert "\n" not in message and message.startswith("daemonsets: Weave Net runs")


def test_several_problems_reported_together():
    cm = with_net_conf(FLANNEL_CMS[0], EnableIPv6=True, IPv6Network="fd00:99::/56", Backend={"Type": "udp"})
    nodes = on_nodes(FLANNEL_CONF)
    nodes["w2"] = []
    message = refusal(FLANNEL_DS, [cm], nodes, declared="flannel", reregister=False, pod_cidrs=PODS)
    lines = message.splitlines()
    assert lines[0] == "4 problems with the cluster's CNI, reported together before any change:"
    assert all(line.startswith("- ") and "; fix: " in line for line in lines[1:])
    assert len(lines) == 5
    joined = "\n".join(lines[1:])
    for part in ("dualstack_cni_reregister: False is set but dualstack_cni is 'flannel'",
                 "node_configs[w2]: no CNI configuration",
                 "flannel backend 'udp' carries IPv4 only",
                 "flannel IPv6Network is already fd00:99::/56 (EnableIPv6 true), not the target pod range fd00:10:244::/56"):
        assert part in joined


def test_several_input_problems_reported_together():
    message = refusal("kube-proxy", [], {"cp1": [LAB_CONF], "w1": [FLANNEL_CONF]}, declared="cilium", reregister="yes")
    for part in ("dualstack_cni: 'cilium' is not a CNI choice", "dualstack_cni_reregister: True is set",
                 "daemonsets: 'kube-proxy' is not a list", "nodes disagree on the CNI"):
        assert part in message
    assert message.startswith("4 problems")


def test_independent_refusals_do_not_repeat():
    """Disagreeing nodes are one problem, not also 'an unknown CNI'."""
    message = refusal([KUBE_PROXY], [], {"cp1": [LAB_CONF], "w1": [WEAVE_CONF]})
    assert "\n" not in message and "unknown CNI" not in message


# ---------------------------------------------------------------------------------------------
# the filter
# ---------------------------------------------------------------------------------------------


def test_filter_is_documented_and_wraps_errors():
    module = cni_detect_filter
    assert list(module.FilterModule().filters()) == ["cni_detect"]
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["name"] == "cni_detect" and doc["version_added"] and doc["options"]["_input"]
    assert set(doc["options"]) == {"_input", "configmaps", "node_configs", "declared", "reregister", "pod_cidrs"}
    assert set(yaml.safe_load(module.RETURN)["_value"]["contains"]) == {
        "name", "ipam", "reregister_nodes", "namespace", "daemonset", "configmap", "agent_labels", "agent_annotations", "restart_agent_per_node",
        "evidence"}
    yaml.safe_load(module.EXAMPLES)
    cni_detect = module.FilterModule().filters()["cni_detect"]
    found = cni_detect(FLANNEL_DS, configmaps=FLANNEL_CMS, node_configs=on_nodes(FLANNEL_CONF), pod_cidrs=PODS)
    assert found["name"] == "flannel"
    with pytest.raises(AnsibleFilterError, match=r"^cni_detect: daemonsets: Cilium runs"):
        cni_detect([CILIUM_DS], configmaps=[cilium_config("cluster-pool")], node_configs=on_nodes(CILIUM_CONF))


def test_agent_labels_select_the_agent_pods():
    """The plan names the labels of flannel's pods, so that the nodes role restarts the one on each node."""
    daemonsets, configmaps = published("kube-flannel-v0.20.2.yml.txt")
    got = detect.detect_cni(daemonsets, configmaps, on_nodes(FLANNEL_CONF), pod_cidrs=PODS)
    assert got["agent_labels"] == {"app": "flannel"}
    assert got["restart_agent_per_node"] is True


def test_selector_must_be_labels():
    daemonsets, configmaps = published("kube-flannel-v0.20.2.yml.txt")
    daemonsets[1] = dict(daemonsets[1], selector=["app=flannel"])
    with pytest.raises(DualStackError, match=r"daemonsets\[1\]\.selector: .* is not a map of labels"):
        detect.detect_cni(daemonsets, configmaps, on_nodes(FLANNEL_CONF), pod_cidrs=PODS)


# ---------------------------------------------------------------------------------------------
# preflight's kubectl jsonpath lines
# ---------------------------------------------------------------------------------------------

JSONPATH_OUT = (
    "kube-flannel\tkube-flannel-ds\tghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3 ghcr.io/flannel-io/flannel:v0.28.10\n"
    " ghcr.io/flannel-io/flannel:v0.28.10\tkube-flannel-cfg\t{\"app\":\"flannel\"}\n"
).replace("\n ", " ") + "kube-system\tkube-proxy\t registry.k8s.io/kube-proxy:v1.34.12\tkube-proxy\t{\"k8s-app\":\"kube-proxy\"}\n"


def test_daemonset_summaries_parse_kubectl_lines():
    got = detect.daemonset_summaries(JSONPATH_OUT)
    assert got == [
        {"namespace": "kube-flannel", "name": "kube-flannel-ds",
         "images": ["ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3", "ghcr.io/flannel-io/flannel:v0.28.10",
                    "ghcr.io/flannel-io/flannel:v0.28.10"],
         "configmaps": ["kube-flannel-cfg"], "selector": {"app": "flannel"}},
        {"namespace": "kube-system", "name": "kube-proxy", "images": ["registry.k8s.io/kube-proxy:v1.34.12"],
         "configmaps": ["kube-proxy"], "selector": {"k8s-app": "kube-proxy"}},
    ]
    assert detect.daemonset_summaries("") == []
    empty = {"namespace": "ns", "name": "ds", "images": [], "configmaps": [], "selector": {}}
    assert detect.daemonset_summaries("ns\tds\t\t\t\n")[0] == empty


@pytest.mark.parametrize("text, message", [
    ("ns\tds\timage\n", r"DaemonSet line 1 .*expected 5 tab-separated fields"),
    ("ns\tds\timage\tcm\t{app:x}\n", r"DaemonSet ns/ds: selector '\{app:x\}' is not JSON"),
])
def test_daemonset_summaries_refuse_other_lines(text, message):
    with pytest.raises(DualStackError, match=message):
        detect.daemonset_summaries(text)


def test_summaries_feed_detection():
    """The parsed lines and flannel's live ConfigMap give the plan's answer, agent labels included."""
    configmaps = published("kube-flannel-v0.20.2.yml.txt")[1]
    got = detect.detect_cni(detect.daemonset_summaries(JSONPATH_OUT), configmaps, on_nodes(FLANNEL_CONF), pod_cidrs=PODS)
    assert (got["name"], got["namespace"], got["daemonset"], got["agent_labels"]) == (
        "flannel", "kube-flannel", "kube-flannel-ds", {"app": "flannel"})


def ippool(name, cidr, disabled=False):
    return {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": name},
            "spec": {"cidr": cidr, "blockSize": 26 if ":" not in cidr else 122, "disabled": disabled}}


def test_calico_pools_overlapping_the_target_are_refused_all_at_once():
    pools = {"kind": "List", "items": [ippool("default-ipv4-ippool", "10.244.0.0/16"),
                                       ippool("old-v6", "fd00:10::/32", disabled=True),
                                       ippool("lab-v6", "fd99::/64")]}
    message = refusal(CALICO_DS, CALICO_CMS, on_nodes(CALICO_CONF), pod_cidrs=PODS, ippools=pools)
    lines = message.splitlines()
    assert len([line for line in lines if line.lstrip(" -").startswith("ippools: ")]) == 2, message
    assert "Calico IPPool old-v6 (fd00:10::/32, disabled) overlaps the target IPv6 pod range fd00:10:244::/56" in message
    assert "Calico IPPool lab-v6 (fd99::/64, enabled) is outside the target IPv6 pod range" in message
    assert "; fix: delete that pool" in message and "; fix: disable that pool" in message


def test_calico_pools_the_conversion_can_use():
    pools = [ippool("default-ipv4-ippool", "10.244.0.0/16"), ippool("default-ipv6-ippool", "fd00:10:244::/56", disabled=True),
             ippool("retired", "fd99::/64", disabled=True)]
    found = run(CALICO_DS, CALICO_CMS, on_nodes(CALICO_CONF), pod_cidrs=PODS, ippools=pools)
    assert found["name"] == "calico"
    assert ("Calico IPPools: IPPool default-ipv4-ippool 10.244.0.0/16, IPPool default-ipv6-ippool fd00:10:244::/56 (disabled), "
            "IPPool retired fd99::/64 (disabled)") in found["evidence"]
    # The way back (no target) does not judge the pools.
    assert run(CALICO_DS, CALICO_CMS, on_nodes(CALICO_CONF), ippools=[ippool("x", "fd99::/64")])["name"] == "calico"
