# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which CNI runs, and whether this collection can convert it: decided once, in preflight, from what runs.

Review finding C1: a CNI recognised by its DaemonSet name only, with "re-register" as the answer
for anything unknown, drains and deletes every node of a Cilium, Weave, Canal, kube-router or
Antrea cluster and then converts nothing. So:

* CNI agents are recognised by their container images (registry ignored), then by DaemonSet name
  (:data:`CNI_SIGNATURES`); a DaemonSet that mounts flannel's ``net-conf.json`` is flannel whatever
  its name (kubespray names it ``kube-flannel``).
* Every node's CNI configuration (the first file of ``/etc/cni/net.d`` by name in lexicographic
  order, the one the container runtime uses) gives the plugin types; nodes must agree.
* Whether nodes are re-registered comes from :data:`cni_ipam.IPAM_USES_NODE_CIDRS` only: an unknown
  IPAM refuses, it never defaults to re-registering.
* Everything that cannot be converted is refused before any change, all problems in one error
  (one line each: the input, what is wrong, the fix), like kubeadm's ``field.ErrorList``.

Plain data in, plain data out; standard library only.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.calico import calico_pool_conflict
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_ipam import DEFAULT_IPAM, IPAM_USES_NODE_CIDRS, detect_ipam
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_objects import (
    canonical_cidr_or_error,
    dual_pod_ranges,
    object_name,
    objects_of,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flannel import FLANNEL_DUAL_STACK_BACKENDS, flannel_net_conf

#: Prefix of the Node annotations a CNI agent writes itself when it starts (flannel's lease attributes:
#: kube-subnet-manager, backend-data, backend-type, public-ip and their IPv6 twins).
AGENT_ANNOTATIONS = {"flannel": "flannel.alpha.coreos.com/"}
DECLARED_CHOICES = ("auto", "flannel", "calico", "bridge", "external")
SUPPORTED = ("flannel", "calico", "bridge")
FLANNEL_CONFIGMAP = "kube-flannel-cfg"
CALICO_CONFIGMAP = "calico-config"
CALICO_OPERATOR_NAMESPACE = "calico-system"
SUPPORTED_TEXT = "this collection converts flannel (its DaemonSet), Calico installed from its manifest and the bridge CNI"
EXTERNAL_FIX = "set dualstack_cni: external with dualstack_cni_reregister: %s, meaning 'I convert the CNI myself'"


class Signature(NamedTuple):
    """How one CNI shows itself: agent images, agent DaemonSet names, node plugin types; how to convert it by hand."""

    label: str
    #: image patterns: ``name`` (last path element before the tag), ``parent/name``, ``parent/*``.
    images: Tuple[str, ...]
    daemonsets: Tuple[str, ...]
    #: CNI plugin ``type`` of the first plugin of the node's CNI configuration.
    plugins: Tuple[str, ...]
    procedure: str


#: Every CNI this module recognises. Image names from the projects' published manifests and charts
#: (flannel-io/flannel ``kube-flannel.yml``, projectcalico ``calico.yaml``/``canal.yaml``, cilium Helm chart,
#: weaveworks ``weave-daemonset-k8s.yaml``, antrea ``antrea.yml``, kube-router ``daemonset/*.yaml``,
#: kind ``kindnetd``, ovn-org ``ovnkube-node``, k8snetworkplumbingwg ``multus-daemonset.yml``); rancher's
#: ``mirrored-*`` copies as RKE ships them.
CNI_SIGNATURES: Dict[str, Signature] = {
    "flannel": Signature(
        "flannel", ("flannel", "mirrored-flannelcni-flannel", "mirrored-flannel-flannel"),
        ("kube-flannel-ds", "kube-flannel", "flannel"), ("flannel",), ""),
    "calico": Signature(
        "Calico", ("calico/node", "mirrored-calico-node"), ("calico-node",), ("calico",), ""),
    "bridge": Signature("bridge", (), (), ("bridge",), ""),
    "canal": Signature(
        "Canal", (), ("canal", "rke2-canal"), (),
        "Canal (Calico policy + flannel networking): convert it by hand as Calico (canal-config cni_network_config "
        "ranges usePodCidr + usePodCidrIPv6, calico-node FELIX_IPV6SUPPORT=true) plus flannel (net-conf.json "
        "EnableIPv6 and IPv6Network)"),
    "cilium": Signature(
        "Cilium", ("cilium/cilium", "mirrored-cilium-cilium"), ("cilium",), ("cilium-cni",),
        "Cilium: set enable-ipv6: \"true\" in the cilium-config ConfigMap, add an IPv6 cluster-pool CIDR "
        "(cluster-pool-ipv6-cidr and cluster-pool-ipv6-mask-size) and restart cilium-operator and the cilium agents "
        "(docs.cilium.io, IPAM cluster-pool)"),
    "weave": Signature(
        "Weave Net", ("weave-kube",), ("weave-net",), ("weave-net",),
        "Weave Net has no dual-stack support: move the cluster to a CNI with dual-stack support first"),
    "antrea": Signature(
        "Antrea", ("antrea-agent-ubuntu", "antrea-ubuntu"), ("antrea-agent",), ("antrea",),
        "Antrea runs dual-stack only when the cluster is installed with both pod ranges: it cannot be converted "
        "in place; reinstall Antrea on a dual-stack cluster"),
    "kube-router": Signature(
        "kube-router", ("kube-router",), ("kube-router",), (),
        "kube-router (v2.0.0 and later): start it with --enable-ipv6=true and --service-cluster-ip-range once per "
        "family (both Service ranges), after the nodes have IPv6 podCIDRs (kube-router.io/docs/ipv6)"),
    "kindnet": Signature(
        "kindnet", ("kindnetd",), ("kindnet",), ("ptp",),
        "kindnet: kind sets dual-stack at cluster creation (networking.ipFamily: dual); recreate the kind cluster"),
    "ovn-kubernetes": Signature(
        "OVN-Kubernetes", ("ovn-kubernetes/*", "ovnkube", "ovn-kube-ubuntu", "ovn-kube-fedora"), ("ovnkube-node",),
        ("ovn-k8s-cni-overlay",),
        "OVN-Kubernetes: give both families in its net-cidr and svc-cidr settings by its own dual-stack procedure"),
    "multus": Signature(
        "Multus", ("multus-cni",), ("kube-multus-ds", "multus"), ("multus", "multus-shim"),
        "Multus is a meta plugin that delegates to another CNI: convert its delegate (the default network) by hand"),
}


class Problem(NamedTuple):
    """One independent problem: the input it concerns, what is wrong, the fix (one line of the error)."""

    field: str
    what: str
    fix: str

    def line(self) -> str:
        return "%s: %s; fix: %s" % (self.field, self.what, self.fix)


class Agent(NamedTuple):
    """A DaemonSet recognised as a CNI agent."""

    cni: str
    namespace: str
    name: str
    images: Tuple[str, ...]
    configmaps: Tuple[str, ...]
    selector: Tuple[Tuple[str, str], ...] = ()

    def describe(self) -> str:
        plural = "s" if len(self.images) > 1 else ""
        return "DaemonSet %s/%s with image%s %s" % (self.namespace, self.name, plural, ", ".join(self.images) or "none")


class NodeConf(NamedTuple):
    """What a node's CNI configuration shows: its plugin types in order, the main one, the main one's IPAM."""

    types: Tuple[str, ...]
    main: str
    ipam: Optional[str]


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise one :class:`DualStackError` holding every problem (none: return)."""
    unique = list(dict.fromkeys(problems))
    if len(unique) == 1:
        raise DualStackError(unique[0].line())
    if unique:
        raise DualStackError("%d problems with the cluster's CNI, reported together before any change:\n%s"
                             % (len(unique), "\n".join("- " + problem.line() for problem in unique)))


# --------------------------------------------------------------------------------------------
# agents: DaemonSets
# --------------------------------------------------------------------------------------------


def image_path(image: str) -> Tuple[Tuple[str, ...], str]:
    """An image reference's repository path (registry dropped) and its last element, tag and digest dropped.

    ``docker.io/calico/node:v3.32.1`` -> (("calico",), "node"). As in distribution/reference, the first
    element is a registry when it has a ``.`` or ``:`` or is ``localhost``.
    """
    ref = image.split("@", 1)[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref = ref[:colon]
    parts = [part for part in ref.split("/") if part]
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if not parts:
        return (), ""
    return tuple(parts[:-1]), parts[-1].lower()


def image_matches(image: str, pattern: str) -> bool:
    """Whether ``image`` fits ``name``, ``parent/name`` or ``parent/*`` (see :data:`CNI_SIGNATURES`)."""
    parents, name = image_path(image)
    if "/" not in pattern:
        return name == pattern
    parent, wanted = pattern.split("/", 1)
    return parent in parents and wanted in ("*", name)


def configmap_index(configmaps: List[Dict[str, Any]]) -> Dict[Tuple[str, str], Dict[str, Any]]:
    """ConfigMaps by (namespace, name)."""
    index = {}
    for item in configmaps:
        meta = item.get("metadata") or {}
        index[(str(meta.get("namespace") or ""), str(meta.get("name") or ""))] = item
    return index


def daemonset_cnis(ds: Mapping[str, Any], configmaps: Mapping[Tuple[str, str], Dict[str, Any]]) -> List[str]:
    """The CNIs one DaemonSet runs: by image; a mounted flannel ``net-conf.json``; else by DaemonSet name.

    A DaemonSet with both calico/node and flannel (or named canal) is Canal.
    """
    found = {cni for cni, sig in CNI_SIGNATURES.items()
             for image in ds["images"] for pattern in sig.images if image_matches(image, pattern)}
    for name in ds["configmaps"]:
        data = (configmaps.get((ds["namespace"], name)) or {}).get("data") or {}
        if "net-conf.json" in data:
            found.add("canal" if "cni_network_config" in data else "flannel")
    if ds["name"] in CNI_SIGNATURES["canal"].daemonsets or {"calico", "flannel"} <= found or "canal" in found:
        return ["canal"]
    if not found:
        found = {cni for cni, sig in CNI_SIGNATURES.items() if ds["name"] in sig.daemonsets}
    return sorted(found)


def read_daemonset(index: int, ds: Any, problems: List[Problem]) -> Optional[Dict[str, Any]]:
    """One entry of ``daemonsets`` checked: namespace and name strings, images and configmaps lists of strings."""
    field = "daemonsets[%d]" % index
    if not isinstance(ds, Mapping) or not isinstance(ds.get("name"), str) or not isinstance(ds.get("namespace"), str):
        problems.append(Problem(field, "%r is not a DaemonSet summary" % (ds,),
                                "pass {namespace, name, images, configmaps} per DaemonSet as preflight reads them"))
        return None
    lists = {}
    for key in ("images", "configmaps"):
        value = ds.get(key) or []
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            problems.append(Problem("%s.%s" % (field, key), "%r is not a list of strings" % (value,),
                                    "pass the DaemonSet's %s as a list" % key))
            return None
        lists[key] = tuple(dict.fromkeys(value))
    selector = ds.get("selector") or {}
    if not isinstance(selector, Mapping) or not all(isinstance(v, str) for v in selector.values()):
        problems.append(Problem("%s.selector" % field, "%r is not a map of labels" % (selector,),
                                "pass the DaemonSet's spec.selector.matchLabels"))
        return None
    return {"namespace": ds["namespace"], "name": ds["name"], **lists, "selector": tuple(sorted(selector.items()))}


def find_agents(daemonsets: Any, configmaps: Mapping[Tuple[str, str], Dict[str, Any]],
                problems: List[Problem]) -> List[Agent]:
    """Every DaemonSet that is a CNI agent; DaemonSets of other workloads are ignored."""
    if daemonsets is None:
        daemonsets = []
    if not isinstance(daemonsets, (list, tuple)):
        problems.append(Problem("daemonsets", "%r is not a list" % (daemonsets,),
                                "pass the list of DaemonSet summaries (namespace, name, images, configmaps)"))
        return []
    agents = []
    for index, raw in enumerate(daemonsets):
        ds = read_daemonset(index, raw, problems)
        if ds is None:
            continue
        for cni in daemonset_cnis(ds, configmaps):
            agents.append(Agent(cni, ds["namespace"], ds["name"], ds["images"], ds["configmaps"], ds["selector"]))
    return agents


# --------------------------------------------------------------------------------------------
# nodes: CNI configuration files
# --------------------------------------------------------------------------------------------


#: CNI plugin type -> the CNI it belongs to (from :data:`CNI_SIGNATURES`).
PLUGIN_CNI = {plugin: cni for cni, sig in CNI_SIGNATURES.items() for plugin in sig.plugins}


def node_conf(document: Any) -> Optional[NodeConf]:
    """The plugin types of a parsed .conflist (``plugins``) or .conf (``type``), the main one and its IPAM.

    The main plugin is the first one of a known CNI (chained ``portmap``, ``bandwidth``, ... are not),
    else the first one.
    """
    if not isinstance(document, Mapping):
        return None
    plugins = document.get("plugins") if isinstance(document.get("plugins"), list) else [document]
    plugins = [plugin for plugin in plugins if isinstance(plugin, Mapping) and isinstance(plugin.get("type"), str)]
    if not plugins:
        return None
    main = next((plugin for plugin in plugins if plugin["type"] in PLUGIN_CNI), plugins[0])
    ipam = main.get("ipam").get("type") if isinstance(main.get("ipam"), Mapping) else None
    return NodeConf(tuple(plugin["type"] for plugin in plugins), main["type"], str(ipam) if ipam else None)


def read_nodes(node_configs: Any, external: bool, problems: List[Problem]) -> Dict[str, NodeConf]:
    """Each node's first CNI configuration (the one the runtime uses); a node without one is refused unless external."""
    if node_configs is None:
        node_configs = {}
    if not isinstance(node_configs, Mapping):
        problems.append(Problem("node_configs", "%r is not a mapping" % (node_configs,),
                                "pass host -> list of parsed CNI configuration documents, in file-name order"))
        return {}
    if not node_configs and not external:
        problems.append(Problem("node_configs", "no node's CNI configuration given: the CNI the nodes run is unknown",
                                "read /etc/cni/net.d/*.conf and *.conflist of every node in preflight"))
    nodes = {}
    for host in sorted(node_configs, key=str):
        documents = node_configs[host]
        documents = [documents] if isinstance(documents, Mapping) else list(documents or [])
        conf = node_conf(documents[0]) if documents else None
        if conf is not None:
            nodes[str(host)] = conf
        elif not external:
            problems.append(Problem(
                "node_configs[%s]" % host, "no CNI configuration (no .conf/.conflist with a plugin type in "
                "/etc/cni/net.d): the node has no pod network, so its CNI cannot be told",
                "install the CNI on that node first, or %s" % (EXTERNAL_FIX % "true|false")))
    return nodes


def group_hosts(nodes: Mapping[str, NodeConf], key: str) -> Dict[Any, List[str]]:
    """Hosts grouped by one field of their :class:`NodeConf`, in host order."""
    groups: Dict[Any, List[str]] = {}
    for host, conf in nodes.items():
        groups.setdefault(getattr(conf, key), []).append(host)
    return groups


def node_types_text(nodes: Mapping[str, NodeConf]) -> str:
    """``cp1, w1: flannel, portmap; w2: bridge, portmap``: hosts grouped by their plugin types."""
    return "; ".join("%s: %s" % (", ".join(hosts), ", ".join(types)) for types, hosts in group_hosts(nodes, "types").items())


def check_nodes_agree(nodes: Mapping[str, NodeConf], problems: List[Problem]) -> Tuple[bool, Optional[str]]:
    """Whether all nodes run the same main plugin with the same IPAM, and that plugin type."""
    mains = group_hosts(nodes, "main")
    if len(mains) > 1:
        problems.append(Problem(
            "node_configs", "nodes disagree on the CNI (plugin types of their first CNI configuration): %s"
            % node_types_text(nodes),
            "give every node the same CNI (remove leftover files from /etc/cni/net.d) before converting"))
        return False, None
    ipams = group_hosts(nodes, "ipam")
    if len(ipams) > 1:
        problems.append(Problem(
            "node_configs", "nodes disagree on the IPAM of their %s plugin: %s" % (next(iter(mains)), "; ".join(
                "%s: %s" % (", ".join(hosts), ipam) for ipam, hosts in ipams.items())),
            "give every node the same CNI configuration before converting"))
        return False, None
    return True, next(iter(mains), None)


# --------------------------------------------------------------------------------------------
# the supported CNIs
# --------------------------------------------------------------------------------------------


def result(name: str, ipam: str, reregister: bool, namespace: Optional[str], daemonset: Optional[str],
           configmap: Optional[str], restart: bool, evidence: List[str],
           agent: Optional[Agent] = None) -> Dict[str, Any]:
    """The detection result (see :func:`detect_cni`); ``agent_labels`` select the agent's pods, and
    ``agent_annotations`` is the prefix of the Node annotations the agent writes itself."""
    return {"name": name, "ipam": ipam, "reregister_nodes": reregister, "namespace": namespace, "daemonset": daemonset,
            "configmap": configmap, "agent_labels": dict(agent.selector) if agent else {},
            "agent_annotations": AGENT_ANNOTATIONS.get(name, ""),
            "restart_agent_per_node": restart, "evidence": list(evidence)}


def reregister_of(cni: str, ipam: str, where: str, problems: List[Problem]) -> bool:
    """:data:`cni_ipam.IPAM_USES_NODE_CIDRS` for (cni, ipam); an unknown pair is refused, never re-registered by default."""
    if (cni, ipam) in IPAM_USES_NODE_CIDRS:
        return IPAM_USES_NODE_CIDRS[(cni, ipam)]
    known = ", ".join(sorted(i for (k, i) in IPAM_USES_NODE_CIDRS if k == cni)) or "none"
    problems.append(Problem(
        where, "%s IPAM %r is not known (known: %s): whether it reads node.spec.podCIDRs, so whether nodes must be "
        "re-registered, cannot be judged" % (cni, ipam, known), EXTERNAL_FIX % "true|false (true if it reads them)"))
    return False


def find_configmap(configmaps: List[Dict[str, Any]], names: Iterable[str], namespace: Optional[str],
                   key: Optional[str]) -> Optional[Dict[str, Any]]:
    """The one ConfigMap named one of ``names`` (with data ``key``, unless None) in ``namespace`` (None: any)."""
    wanted = set(names)
    found = [item for item in configmaps if (item.get("metadata") or {}).get("name") in wanted
             and (key is None or key in (item.get("data") or {}))
             and namespace in (None, (item.get("metadata") or {}).get("namespace"))]
    return found[0] if len(found) == 1 else None


def flannel_target_checks(conf: Mapping[str, Any], where: str, pod_cidrs: Any, problems: List[Problem]) -> None:
    """flannel's net-conf.json against the conversion target (flannel PR #1398; pkg/subnet/kube/kube.go).

    The backend must carry IPv6 (:data:`flannel.FLANNEL_DUAL_STACK_BACKENDS`: "only vxlan, host-gw and
    wireguard backends support dual stack"); ``Network`` must be the IPv4 pod range and an
    ``IPv6Network`` already set the target's IPv6 range: a running flannel cannot move its ranges.
    :func:`flannel.flannel_dualstack` makes the same checks, but in the cni role, after every node was
    re-registered.
    """
    backend = str((conf.get("Backend") or {}).get("Type", "vxlan")).lower()
    if backend not in FLANNEL_DUAL_STACK_BACKENDS:
        problems.append(Problem(
            where, "flannel backend %r carries IPv4 only (flannel: only vxlan, host-gw and wireguard backends support "
            "dual stack; any other backend gets an IPv4-only lease)" % backend,
            "switch the backend to vxlan, host-gw or wireguard first"))
    try:
        v4, v6 = dual_pod_ranges(pod_cidrs)
    except DualStackError as err:
        problems.append(Problem("pod_cidrs", str(err), "give both pod ranges, the IPv4 range first"))
        return
    for key, target in (("Network", v4), ("IPv6Network", v6)):
        if conf.get(key) is None:
            continue
        try:
            current = canonical_cidr_or_error(conf[key], "%s %s" % (where, key))
        except DualStackError as err:
            problems.append(Problem(where, str(err), "fix net-conf.json by hand"))
            continue
        if current != target:
            problems.append(Problem(
                where, "flannel %s is already %s (EnableIPv6 %s), not the target pod range %s: a running flannel cannot "
                "move its range" % (key, conf[key], str(conf.get("EnableIPv6", False)).lower(), target),
                "give pod_cidrs with %s, or change net-conf.json and the cluster by hand first" % current))


def flannel_result(agent: Agent, configmaps: List[Dict[str, Any]], pod_cidrs: Any,
                   evidence: List[str], problems: List[Problem]) -> Dict[str, Any]:
    """flannel: its DaemonSet and ConfigMap; flanneld reads the node's podCIDR once, when it acquires its lease."""
    names = agent.configmaps or (FLANNEL_CONFIGMAP,)
    item = find_configmap(configmaps, names, agent.namespace, "net-conf.json")
    reregister = reregister_of("flannel", "flannel", "flannel", problems)
    if item is None:
        problems.append(Problem(
            "configmaps", "flannel's ConfigMap with net-conf.json (%s/%s, mounted by %s) was not given"
            % (agent.namespace, " or ".join(names), agent.describe()),
            "read the ConfigMap flannel's DaemonSet mounts (default %s) in preflight" % FLANNEL_CONFIGMAP))
        return result("flannel", "flannel", reregister, agent.namespace, agent.name, None, True, evidence, agent)
    try:
        where, conf = flannel_net_conf(item, "configmaps")[1::2]
    except DualStackError as err:
        problems.append(Problem("configmaps", str(err), "fix flannel's ConfigMap by hand first"))
    else:
        evidence.append("%s: backend %s, EnableIPv6 %s, IPv6Network %s" % (
            where, (conf.get("Backend") or {}).get("Type", "vxlan"), str(conf.get("EnableIPv6", False)).lower(),
            conf.get("IPv6Network", "none")))
        if pod_cidrs is not None:
            flannel_target_checks(conf, where, pod_cidrs, problems)
    return result("flannel", "flannel", reregister, agent.namespace, agent.name, item["metadata"]["name"], True,
                  evidence, agent)


def calico_pool_checks(ippools: Any, pod_cidrs: Any, evidence: List[str], problems: List[Problem]) -> None:
    """Calico's IPPools against the target IPv6 pod range (:func:`calico.calico_pool_conflict`), every pool at once.

    The cni role makes the same check when it edits the pools, after the control plane and the
    kubelets were converted; here it refuses before any change.
    """
    try:
        pools = objects_of(ippools if ippools is not None else [], "ippools")
    except DualStackError as err:
        problems.append(Problem("ippools", str(err), "pass Calico's IPPools as kubectl get -o json prints them"))
        return
    evidence.append("Calico IPPools: %s" % (", ".join(
        "%s %s%s" % (object_name(p), (p.get("spec") or {}).get("cidr"), " (disabled)" if (p.get("spec") or {}).get("disabled") is True
                     else "") for p in pools) or "none"))
    try:
        v6 = dual_pod_ranges(pod_cidrs)[1]
    except DualStackError as err:
        problems.append(Problem("pod_cidrs", str(err), "give both pod ranges, the IPv4 range first"))
        return
    for pool in pools:
        try:
            conflict = calico_pool_conflict(pool, v6)
        except DualStackError as err:
            problems.append(Problem("ippools", str(err), "fix that IPPool by hand first"))
            continue
        if conflict:
            problems.append(Problem("ippools", *conflict))


def calico_result(agent: Agent, configmaps: List[Dict[str, Any]], ippools: Any, pod_cidrs: Any, evidence: List[str],
                  problems: List[Problem]) -> Dict[str, Any]:
    """Calico from its manifest: calico-node next to calico-config; an operator-managed Calico is refused.

    The tigera-operator (calico-node in calico-system) reconciles the DaemonSet and ConfigMap, so
    IPv6 goes into its Installation resource instead (roles/cni: "Fail for a Calico managed by the
    tigera operator"). The IPAM is read from calico-config with :func:`cni_ipam.detect_ipam`.
    """
    item = find_configmap(configmaps, (CALICO_CONFIGMAP,), agent.namespace, "cni_network_config")
    if agent.namespace == CALICO_OPERATOR_NAMESPACE or item is None:
        problems.append(Problem(
            "daemonsets", "calico-node runs in namespace %s (%s) with no %s ConfigMap there: this is an "
            "operator-managed Calico (tigera-operator). Its DaemonSet and ConfigMap are reconciled by the operator"
            % (agent.namespace, agent.describe(), CALICO_CONFIGMAP),
            "add the IPv6 pool to the Installation resource (spec.calicoNetwork.ipPools) instead, then %s"
            % (EXTERNAL_FIX % "false (calico-ipam; true with host-local IPAM)")))
        return result("calico", "calico-ipam", False, agent.namespace, agent.name, None, False, evidence)
    try:
        ipam = detect_ipam("calico", [item])
    except DualStackError as err:
        problems.append(Problem("configmaps", str(err), "fix the calico-config ConfigMap by hand first"))
        return result("calico", "unknown", False, agent.namespace, agent.name, CALICO_CONFIGMAP, False, evidence)
    evidence.append("%s: IPAM %s" % (object_name(item), ipam))
    if pod_cidrs is not None and ipam == "calico-ipam":
        calico_pool_checks(ippools, pod_cidrs, evidence, problems)
    reregister = reregister_of("calico", ipam, "%s data.cni_network_config" % object_name(item), problems)
    return result("calico", ipam, reregister, agent.namespace, agent.name, CALICO_CONFIGMAP, False, evidence, agent)


def bridge_result(nodes: Mapping[str, NodeConf], evidence: List[str], problems: List[Problem]) -> Dict[str, Any]:
    """The bridge plugin fed from node podCIDRs by a host agent (bridge + host-local): no cluster object to change."""
    if not nodes:  # already refused: no node configuration to judge the IPAM by
        return result("bridge", "unknown", False, None, None, None, False, evidence)
    ipam = next(iter(nodes.values())).ipam or "none"
    return result("bridge", ipam, reregister_of("bridge", ipam, "node_configs", problems), None, None, None, False, evidence)


def supported_result(cni: str, agents: Sequence[Agent], nodes: Mapping[str, NodeConf], configmaps: List[Dict[str, Any]],
                     ippools: Any, pod_cidrs: Any, evidence: List[str], problems: List[Problem]) -> Dict[str, Any]:
    """The result of a supported CNI; flannel and Calico need their agent DaemonSet (the roles act on it)."""
    if cni == "bridge":
        return bridge_result(nodes, evidence, problems)
    agent = next((item for item in agents if item.cni == cni), None)
    if agent is None:
        problems.append(Problem(
            "daemonsets", "no %s DaemonSet runs%s: %s" % (CNI_SIGNATURES[cni].label, (
                " although the nodes run its plugin (k3s and RKE2 embed flannel; or it runs as a host service)"
                if nodes else ""), SUPPORTED_TEXT),
            "convert the CNI by hand and %s" % (EXTERNAL_FIX % ("true" if cni == "flannel" else "true|false"))))
        return result(cni, DEFAULT_IPAM[cni], False, None, None, None, cni == "flannel", evidence)
    if cni == "flannel":
        return flannel_result(agent, configmaps, pod_cidrs, evidence, problems)
    return calico_result(agent, configmaps, ippools, pod_cidrs, evidence, problems)


# --------------------------------------------------------------------------------------------
# refusals of what cannot be converted
# --------------------------------------------------------------------------------------------


def unsupported_ipam(cni: str, agents: Sequence[Agent], configmaps: List[Dict[str, Any]]) -> Tuple[str, str]:
    """What is known of an unsupported CNI's IPAM (Cilium's ``ipam`` in cilium-config, Canal's CNI config):
    a description, and the dualstack_cni_reregister to suggest (from :data:`cni_ipam.IPAM_USES_NODE_CIDRS`)."""
    unknown = "true|false (true if its IPAM reads node.spec.podCIDRs)"
    if cni == "kindnet":
        return "", "true (kindnet's host-local IPAM reads node.spec.podCIDRs)"
    if cni not in ("cilium", "canal"):
        return "", unknown
    name, kind, key = ("cilium-config", "cilium", None) if cni == "cilium" else ("canal-config", "calico", "cni_network_config")
    item = find_configmap(configmaps, (name,), agents[0].namespace if agents else None, key)
    if item is None:
        return "; ConfigMap %s not given, IPAM mode unknown" % name, unknown
    try:
        ipam = detect_ipam(kind, [item])
    except DualStackError as err:
        return "; %s" % err, unknown
    uses = IPAM_USES_NODE_CIDRS.get((kind, ipam))
    text = "; %s ipam %s (%s)" % (CNI_SIGNATURES[cni].label, ipam, object_name(item))
    if uses is None:
        return text, unknown
    return text, "%s (ipam %s %s node.spec.podCIDRs)" % (str(uses).lower(), ipam, "reads" if uses else "does not read")


def refuse_unsupported(cni: str, agents: Sequence[Agent], nodes: Mapping[str, NodeConf],
                       configmaps: List[Dict[str, Any]], problems: List[Problem]) -> None:
    """An unsupported or unknown CNI: name it, what was seen, the upstream procedure and the override."""
    seen = [agent.describe() for agent in agents if agent.cni == cni] or [agent.describe() for agent in agents]
    if nodes:
        seen.append("node CNI configuration %s" % node_types_text(nodes))
    signature = CNI_SIGNATURES.get(cni)
    ipam_text, reregister = unsupported_ipam(cni, agents, configmaps)
    label = signature.label if signature else "an unknown CNI"
    procedure = signature.procedure if signature and signature.procedure else "convert it by its own documentation"
    problems.append(Problem(
        "daemonsets" if agents else "node_configs",
        "%s runs (%s%s) and cannot be converted: %s" % (label, "; ".join(seen), ipam_text, SUPPORTED_TEXT),
        "%s; to convert it yourself and let this collection do the rest, %s" % (procedure, EXTERNAL_FIX % reregister)))


# --------------------------------------------------------------------------------------------
# the decision
# --------------------------------------------------------------------------------------------


def parse_declared(declared: Any, problems: List[Problem]) -> str:
    """dualstack_cni: one of :data:`DECLARED_CHOICES`; empty means auto."""
    choice = declared.strip().lower() if isinstance(declared, str) else declared
    if choice in (None, ""):
        return "auto"
    if choice not in DECLARED_CHOICES:
        problems.append(Problem("dualstack_cni", "%r is not a CNI choice" % (declared,),
                                "use one of %s" % ", ".join(DECLARED_CHOICES)))
        return "auto"
    return str(choice)


def parse_reregister(value: Any, declared: str, problems: List[Problem]) -> Optional[bool]:
    """dualstack_cni_reregister: a boolean, required with ``external`` and read only then."""
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "false", "no", "off"):
        value = value.strip().lower() in ("true", "yes", "on")
    if declared != "external":
        if value is not None:
            problems.append(Problem("dualstack_cni_reregister", "%r is set but dualstack_cni is %r: it is read only "
                                    "with external" % (value, declared), "remove it, or set dualstack_cni: external"))
        return None
    if not isinstance(value, bool):
        problems.append(Problem(
            "dualstack_cni_reregister", "%r: dualstack_cni external needs to be told whether nodes are re-registered "
            "(true when the CNI's IPAM reads node.spec.podCIDRs, false when it has its own pools)" % (value,),
            "set dualstack_cni_reregister: true or false"))
        return None
    return value


def check_agents(agents: Sequence[Agent], main: Optional[str], nodes: Mapping[str, NodeConf],
                 problems: List[Problem]) -> bool:
    """One agent of one CNI, whose plugin the nodes run; several agents and odd combinations are refused."""
    kinds = sorted({agent.cni for agent in agents})
    if len(kinds) > 1:
        problems.append(Problem(
            "daemonsets", "several CNI agents run at once: %s" % "; ".join(
                "%s: %s" % (CNI_SIGNATURES[agent.cni].label, agent.describe()) for agent in agents),
            "remove the leftover CNI before converting, or %s" % (EXTERNAL_FIX % "true|false")))
        return False
    if len(agents) > 1:
        problems.append(Problem(
            "daemonsets", "several %s DaemonSets run: %s" % (CNI_SIGNATURES[kinds[0]].label, "; ".join(
                agent.describe() for agent in agents)),
            "keep one DaemonSet per CNI before converting, or %s" % (EXTERNAL_FIX % "true|false")))
        return False
    if agents and kinds[0] in SUPPORTED and main is not None and main not in CNI_SIGNATURES[kinds[0]].plugins:
        problems.append(Problem(
            "node_configs", "%s runs, but the nodes' CNI configuration is %s, not %s: an unknown combination" % (
                agents[0].describe(), node_types_text(nodes), " or ".join(CNI_SIGNATURES[kinds[0]].plugins)),
            "make the nodes use the agent's CNI configuration, or %s" % (EXTERNAL_FIX % "true|false")))
        return False
    return True


def detected_cni(agents: Sequence[Agent], main: Optional[str], nodes_agree: bool) -> Optional[str]:
    """The CNI that clearly runs: its one agent, else the CNI of the nodes' plugin ("unknown" when no CNI has it)."""
    kinds = sorted({agent.cni for agent in agents})
    if len(kinds) == 1:
        return kinds[0]
    if not kinds and nodes_agree and main is not None:
        return PLUGIN_CNI.get(main, "unknown")
    return None


def check_declared(declared: str, found: Optional[str], agents: Sequence[Agent], nodes: Mapping[str, NodeConf],
                   problems: List[Problem]) -> None:
    """A declared CNI that contradicts the one detected is refused, naming both."""
    if declared in ("auto", "external") or found in (None, declared):
        return
    seen = [agent.describe() for agent in agents] + (["node CNI configuration %s" % node_types_text(nodes)] if nodes else [])
    label = CNI_SIGNATURES[found].label if found in CNI_SIGNATURES else "an unknown CNI"
    fix = ("set dualstack_cni: %s (or auto) if that is the cluster's CNI" % found if found in SUPPORTED else
           "declare what runs: this collection cannot convert %s, so set dualstack_cni: external with "
           "dualstack_cni_reregister (see the line on %s)" % (label, label))
    problems.append(Problem("dualstack_cni", "%r, but %s runs (%s)" % (declared, label, "; ".join(seen)), fix))


def daemonset_summaries(text: Any) -> List[Dict[str, Any]]:
    """Parse preflight's ``kubectl get daemonsets -A -o jsonpath`` lines into DaemonSet summaries.

    One line per DaemonSet, tab-separated: namespace, name, images (space-separated; init
    containers first), names of ConfigMap volumes (space-separated), ``spec.selector.matchLabels``
    (JSON, as kubectl prints a map). Reading only these fields keeps container environments, which
    may carry credentials, out of every log.
    """
    out = []
    for number, line in enumerate(str(text or "").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            raise DualStackError("DaemonSet line %d %r: expected 5 tab-separated fields (namespace, name, images, "
                                 "configmaps, selector), got %d" % (number, line, len(fields)))
        namespace, name, images, configmaps, selector = fields
        try:
            labels = json.loads(selector) if selector.strip() else {}
        except ValueError as err:
            raise DualStackError("DaemonSet %s/%s: selector %r is not JSON (%s)" % (namespace, name, selector, err))
        out.append({"namespace": namespace, "name": name, "images": images.split(),
                    "configmaps": configmaps.split(), "selector": labels})
    return out


def detect_cni(daemonsets: Any, configmaps: Any, node_configs: Any, declared: Any = "auto",
               reregister: Any = None, pod_cidrs: Any = None, ippools: Any = None) -> Dict[str, Any]:
    """Which CNI runs, and how this collection converts it; every problem refused at once, before any change.

    ``daemonsets``: ``[{"namespace", "name", "images", "configmaps", "selector"}]`` (images of all
    containers, names of the pod template's ConfigMap volumes, ``spec.selector.matchLabels``; see
    :func:`daemonset_summaries`). ``configmaps``: the CNI ConfigMaps as ``kubectl
    get -o json`` prints them. ``node_configs``: host -> parsed CNI configuration documents in
    file-name order. ``declared``: ``dualstack_cni`` (auto, flannel, calico, bridge, external);
    ``reregister``: ``dualstack_cni_reregister``, required with external. ``pod_cidrs``: the target
    pod ranges; None (rollback) skips the checks against a conversion target. ``ippools``: Calico's
    IPPools (``kubectl get ippools.crd.projectcalico.org -o json``; none when the CRD is absent),
    checked against the target's IPv6 range when Calico IPAM runs.

    Returns ``name`` (flannel, calico, bridge, external), ``ipam``, ``reregister_nodes`` (from
    :data:`cni_ipam.IPAM_USES_NODE_CIDRS`, or the declared value for external), ``namespace``,
    ``daemonset`` and ``configmap`` of the agent, ``agent_labels`` (its pods' labels), ``restart_agent_per_node``
    (flannel: flanneld reads the node's podCIDR once, in ``AcquireLease``) and ``evidence``.
    Raises :class:`DualStackError` with every problem, one line each.
    """
    problems: List[Problem] = []
    choice = parse_declared(declared, problems)
    override = parse_reregister(reregister, choice, problems)
    try:
        cms = objects_of(configmaps, "configmaps")
    except DualStackError as err:
        problems.append(Problem("configmaps", str(err).split("configmaps: ", 1)[-1],
                                "pass the CNI ConfigMaps as kubectl get -o json prints them"))
        cms = []
    agents = find_agents(daemonsets, configmap_index(cms), problems)
    nodes = read_nodes(node_configs, choice == "external", problems)
    nodes_agree, main = check_nodes_agree(nodes, problems)
    evidence = ["%s -> %s" % (agent.describe(), agent.cni) for agent in agents]
    if nodes:
        evidence.append("node CNI configuration %s" % node_types_text(nodes))
    if choice == "external":
        raise_problems(problems)
        return result("external", "external", bool(override), None, None, None, False, evidence)
    agents_ok = check_agents(agents, main, nodes, problems)
    found = detected_cni(agents, main, nodes_agree) if agents_ok else None
    check_declared(choice, found, agents, nodes, problems)
    if found is not None and found not in SUPPORTED:
        refuse_unsupported(found, agents, nodes, cms, problems)
    cni = found if choice == "auto" else choice
    outcome = None
    if agents_ok and cni in SUPPORTED and found in (None, cni):
        outcome = supported_result(cni, agents, nodes, cms, ippools, pod_cidrs, evidence, problems)
    raise_problems(problems)
    if outcome is None:  # pragma: no cover - each path without a result has added a problem
        raise DualStackError("the cluster's CNI could not be told; set dualstack_cni")
    return outcome
