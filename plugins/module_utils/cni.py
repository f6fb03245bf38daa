# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""CNI and egress changes of a single-stack to dual-stack conversion, as pure transformations.

Every function takes Kubernetes objects as ``kubectl get -o json`` returns them (plain dicts),
never changes its input, and returns new plain dicts. Transforming an object twice gives the
same result as transforming it once, and an object that already has what dual-stack needs is
returned unchanged, embedded JSON/YAML text included (no re-formatting without a change).

Sources of the rules (see ``/work/shared/reference/dual-stack-facts.md`` §2.2, §3.5, §4):

* flannel ``net-conf.json``: ``EnableIPv6`` and ``IPv6Network`` next to ``Network`` (flannel PR
  #1398, "Add dual stack support"); flannel's kube subnet manager takes each node's subnets
  from ``node.spec.podCIDRs``.
* Calico manifest install: CNI ``ipam.assign_ipv6``, calico-node ``IP6=autodetect``,
  ``FELIX_IPV6SUPPORT=true``, ``CALICO_IPV6POOL_CIDR`` (tigera docs ``networking/ipam/ipv6``);
  IPv6 block sizes 116..128, default 122 (IPPool CRD: "Defaults to 26 for IPv4 and 122 for
  IPv6"); IPIP cannot carry IPv6 (kubespray asserts ``calico_ipip_mode_ipv6: Never``).
* ip-masq-agent: ``--enable-ipv6`` (default false) and ``nonMasqueradeCIDRs`` in the
  ``config`` key of ConfigMap ``ip-masq-agent`` (kubernetes-sigs/ip-masq-agent README).
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core on the controller, where filters run
    yaml = None

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import (
    Network,
    dualstack_cidrs,
    family_name,
    parse_cidr,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: Calico: IPv6 pools take blocks of /116 to /128; the CRD documents 122 as the default.
CALICO_V6_BLOCK_MIN = 116
CALICO_V6_BLOCK_MAX = 128
CALICO_V6_BLOCK_DEFAULT = 122
CALICO_ENCAP_MODES = ("Never", "Always", "CrossSubnet")
CALICO_API_VERSIONS = ("crd.projectcalico.org/v1", "projectcalico.org/v3")
CALICO_POOL_NAME = "default-ipv6-ippool"
#: flannel backends that carry IPv6: flannel's kube subnet manager (pkg/subnet/kube/kube.go) says "only vxlan,
#: host-gw and wireguard backends support dual stack now" and turns IPv6 off in the lease of any other backend.
FLANNEL_DUAL_STACK_BACKENDS = ("vxlan", "host-gw", "wireguard")
#: ip-masq-agent defaults: ``cidrLimit`` and the ranges it uses when ``nonMasqueradeCIDRs`` is unset.
IP_MASQ_CIDR_LIMIT = 64
IP_MASQ_DEFAULT_NONMASQ = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
IP_MASQ_RESERVED_NONMASQ = [
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24",
    "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
]
MASQ6_CHAIN = "DUALSTACK-MASQ6"
MASQ6_COMMENT = "dualstack.kubernetes: masquerade IPv6 pod egress"

#: Which IPAM hands out pod addresses, per CNI, and whether it reads ``node.spec.podCIDRs``.
#: A CNI whose IPAM reads them needs every existing node re-registered (the podCIDRs of a Node
#: are immutable once set); a pool-based IPAM just needs its IPv6 pool.
IPAM_USES_NODE_CIDRS = {
    ("bridge", "host-local"): True,
    ("kindnet", "host-local"): True,
    ("flannel", "flannel"): True,
    ("calico", "calico-ipam"): False,
    ("calico", "host-local"): True,
    ("cilium", "cluster-pool"): False,
    ("cilium", "multi-pool"): False,
    ("cilium", "kubernetes"): True,
}
DEFAULT_IPAM = {"bridge": "host-local", "kindnet": "host-local", "flannel": "flannel", "calico": "calico-ipam", "cilium": "cluster-pool"}


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def dual_pod_ranges(pod_cidrs: Any) -> Tuple[Network, Network]:
    """The cluster's pod ranges after conversion: the existing IPv4 range first, then IPv6."""
    ranges = [parse_cidr(item) for item in dualstack_cidrs(pod_cidrs, "pod")]
    if len(ranges) != 2 or ranges[0].version != 4:
        raise DualStackError(
            "pod_cidrs %r: the CNI is converted to dual-stack only with both pod ranges, the cluster's "
            "existing IPv4 --cluster-cidr first and the new IPv6 range second, e.g. "
            "['10.244.0.0/16', 'fd00:10:244::/56']" % (pod_cidrs,)
        )
    return ranges[0], ranges[1]


def objects_of(objects: Any, what: str) -> List[Dict[str, Any]]:
    """Accept one object, a list of objects, or a ``kind: List``/``*List`` object with ``items``."""
    if isinstance(objects, dict) and isinstance(objects.get("items"), list) and str(objects.get("kind", "")).endswith("List"):
        items = objects["items"]
    elif isinstance(objects, dict):
        items = [objects]
    elif isinstance(objects, (list, tuple)):
        items = list(objects)
    elif objects is None:
        items = []
    else:
        items = [objects]
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
            raise DualStackError(
                "%s: %r is not a Kubernetes object: pass what 'kubectl get -o json' prints (a dict with "
                "kind, metadata, ...), parsed with from_json" % (what, item if not isinstance(item, dict) else dict(list(item.items())[:3]))
            )
    return items


def is_kind_list(obj: Any) -> bool:
    """A ``kind: List`` / ``*List`` object with ``items``, as ``kubectl get`` prints for several objects."""
    return isinstance(obj, dict) and "items" in obj and str(obj.get("kind", "")).endswith("List")


def map_objects(obj: Any, what: str, hint: str, transform: Callable[[Dict[str, Any]], Dict[str, Any]]) -> Any:
    """Apply ``transform`` to one object (returns one) or to each of a list / ``*List`` (returns a list)."""
    results = [transform(item) for item in objects_of(obj, what)]
    if isinstance(obj, (list, tuple)) or is_kind_list(obj):
        return results
    if not results:
        raise DualStackError("%s: no object given: %s" % (what, hint))
    return results[0]


def object_name(obj: Dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return "%s %s%s" % (obj.get("kind"), "%s/" % namespace if namespace else "", meta.get("name", "?"))


def canonical_cidr_or_error(value: Any, where: str) -> Network:
    """Parse a CIDR found in an existing object (host bits tolerated, as Go's ParseCIDR does)."""
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise DualStackError(
            "%s: %r is not a CIDR: fix the object (expected ADDRESS/PREFIX such as '10.0.0.0/8' or "
            "'fd00::/8')" % (where, value)
        ) from None


_BARE_PLACEHOLDER = re.compile(r'(?<!["\w])(__[A-Z0-9_]+__)(?!["\w])')
_SENTINEL = "@@dualstack-placeholder:%s@@"
_SENTINEL_JSON = re.compile(r'"@@dualstack-placeholder:(__[A-Z0-9_]+__)@@"')


def load_embedded_json(text: Any, where: str) -> Any:
    """Parse JSON embedded in a ConfigMap; bare install-time placeholders (``"mtu": __CNI_MTU__``) allowed."""
    if not isinstance(text, str):
        raise DualStackError("%s is missing or not a string (%r): the object is not the one expected" % (where, text))
    protected = _BARE_PLACEHOLDER.sub(lambda m: '"%s"' % (_SENTINEL % m.group(1)), text)
    try:
        return json.loads(protected)
    except ValueError as err:
        raise DualStackError("%s is not valid JSON (%s): fix the ConfigMap by hand first" % (where, err)) from None


def dump_embedded_json(value: Any, original: str) -> str:
    """Serialise like the original: same indent (or one line), same trailing newline, placeholders bare."""
    lines = original.strip("\n").splitlines()
    indent: Optional[int] = None
    if len(lines) > 1:
        widths = [len(line) - len(line.lstrip(" ")) for line in lines[1:] if line.strip()]
        positive = [w for w in widths if w > 0]
        indent = min(positive) if positive else 2
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    text = _SENTINEL_JSON.sub(lambda m: m.group(1), text)
    if original.endswith("\n"):
        text += "\n"
    return text


def expect_kind(obj: Any, kinds: Tuple[str, ...], what: str, hint: str) -> Dict[str, Any]:
    items = objects_of(obj, what)
    if len(items) != 1 or is_kind_list(obj):
        raise DualStackError("%s takes one object, got %d: %s" % (what, len(items), hint))
    item = items[0]
    if item["kind"] not in kinds:
        raise DualStackError("%s: %s is not a %s: %s" % (what, object_name(item), " or ".join(kinds), hint))
    return item


def find_container(obj: Dict[str, Any], name: str, what: str) -> Dict[str, Any]:
    """The container ``name`` of a workload's pod template, or its only container."""
    containers = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    for container in containers:
        if container.get("name") == name:
            return container
    if len(containers) == 1:
        return containers[0]
    raise DualStackError(
        "%s: %s has no container named %r (containers: %s): pass container= with the agent's container name"
        % (what, object_name(obj), name, ", ".join(str(c.get("name")) for c in containers) or "none")
    )


def set_env(container: Dict[str, Any], name: str, value: str) -> None:
    """Set a literal env var in place (replacing a valueFrom), or append it."""
    env = container.setdefault("env", [])
    for entry in env:
        if entry.get("name") == name:
            if entry.get("value") != value or "valueFrom" in entry:
                entry.pop("valueFrom", None)
                entry["value"] = value
            return
    env.append({"name": name, "value": value})


def env_value(container: Dict[str, Any], name: str) -> Optional[str]:
    for entry in container.get("env") or []:
        if entry.get("name") == name:
            return entry.get("value")
    return None


# --------------------------------------------------------------------------------------------
# which IPAM, and does it use node.spec.podCIDRs
# --------------------------------------------------------------------------------------------


def detect_ipam(kind: str, objects: Any = None) -> str:
    """The IPAM in use, read from the CNI's configuration objects where it has a choice."""
    items = objects_of(objects, "cni_ipam")
    if kind == "calico":
        for item in items:
            data = item.get("data") or {}
            if item["kind"] == "ConfigMap" and "cni_network_config" in data:
                conf = load_embedded_json(data["cni_network_config"], "%s data.cni_network_config" % object_name(item))
                plugin = calico_plugin(conf, object_name(item))
                return str((plugin.get("ipam") or {}).get("type") or "calico-ipam")
    if kind == "cilium":
        for item in items:
            data = item.get("data") or {}
            if item["kind"] == "ConfigMap" and "ipam" in data:
                return str(data["ipam"]).strip() or DEFAULT_IPAM["cilium"]
    return DEFAULT_IPAM[kind]


def cni_ipam(kind: Any, objects: Any = None) -> bool:
    """Whether the CNI's IPAM takes pod addresses from ``node.spec.podCIDRs``.

    True means every existing node must be re-registered (drain, delete the Node, restart the
    kubelet) to get an IPv6 podCIDR: kube-controller-manager never adds one to a Node that
    already has CIDRs, and ``spec.podCIDRs`` is immutable ("node updates may not change podCIDR
    except from \"\" to valid"). bridge/host-local, kindnet, flannel, Calico with host-local and
    Cilium ``ipam: kubernetes`` read it; calico-ipam and Cilium cluster-pool/multi-pool do not.
    """
    name = str(kind).strip().lower() if isinstance(kind, str) else kind
    if name not in DEFAULT_IPAM:
        raise DualStackError(
            "CNI %r is not known: use one of %s (the IPAM of another CNI has to be judged by hand: does it "
            "read node.spec.podCIDRs?)" % (kind, ", ".join(sorted(DEFAULT_IPAM)))
        )
    ipam = detect_ipam(name, objects)
    if (name, ipam) not in IPAM_USES_NODE_CIDRS:
        known = sorted(i for (k, i) in IPAM_USES_NODE_CIDRS if k == name)
        raise DualStackError(
            "%s IPAM %r is not known: known %s IPAM modes are %s; judge by hand whether it reads "
            "node.spec.podCIDRs" % (name, ipam, name, ", ".join(known))
        )
    return IPAM_USES_NODE_CIDRS[(name, ipam)]


def nodes_without_pod_cidr(nodes: Any, pod_cidrs: Any) -> List[str]:
    """Names of the Nodes whose ``spec.podCIDRs`` hold no IPv6 block inside the cluster's IPv6 pod range.

    Such nodes were registered before the conversion and must be re-registered before a CNI whose
    IPAM reads node podCIDRs (flannel) is told to use IPv6: flannel builds every node's lease from
    its podCIDRs, and a node without an IPv6 one gets no IPv6 subnet.
    """
    v6 = dual_pod_ranges(pod_cidrs)[1]
    missing = []
    for node in objects_of(nodes, "nodes_without_pod_cidr"):
        if node["kind"] != "Node":
            raise DualStackError("nodes_without_pod_cidr: %s is not a Node: pass 'kubectl get nodes -o json'" % object_name(node))
        spec = node.get("spec") or {}
        cidrs = spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
        found = False
        for cidr in cidrs:
            network = canonical_cidr_or_error(cidr, "%s spec.podCIDRs" % object_name(node))
            if network.version == 6 and network.subnet_of(v6):  # type: ignore[arg-type]
                found = True
        if not found:
            missing.append(str((node.get("metadata") or {}).get("name", "?")))
    return missing


# --------------------------------------------------------------------------------------------
# flannel
# --------------------------------------------------------------------------------------------

FLANNEL_HINT = (
    "pass the kube-flannel-cfg ConfigMap ('kubectl -n kube-flannel get configmap kube-flannel-cfg -o json'; "
    "namespace kube-system in manifests before v0.20)"
)


def flannel_net_conf(obj: Any, what: str) -> Tuple[Dict[str, Any], str, str, Dict[str, Any]]:
    """The kube-flannel-cfg ConfigMap, where its net-conf.json is, its text and the parsed object."""
    item = expect_kind(obj, ("ConfigMap",), what, FLANNEL_HINT)
    where = "%s data.net-conf.json" % object_name(item)
    text = (item.get("data") or {}).get("net-conf.json")
    if text is None:
        raise DualStackError("%s has no data key net-conf.json: %s" % (object_name(item), FLANNEL_HINT))
    conf = load_embedded_json(text, where)
    if not isinstance(conf, dict):
        raise DualStackError("%s is not a JSON object: fix the ConfigMap by hand first" % where)
    return item, where, text, conf


def flannel_dualstack(obj: Any, pod_cidrs: Any) -> Dict[str, Any]:
    """Add ``EnableIPv6: true`` and ``IPv6Network`` to flannel's ``net-conf.json``.

    ``Network`` must be the cluster's primary (IPv4) pod range: flannel's kube subnet manager
    expects every node's podCIDR inside it. Other keys (``Backend``, ``EnableNFTables``, ...)
    and their order are kept; the new keys follow ``Network``.
    """
    v4, v6 = dual_pod_ranges(pod_cidrs)
    item, where, text, conf = flannel_net_conf(obj, "flannel_dualstack")
    if conf.get("EnableIPv4") is False:
        raise DualStackError(
            "%s has EnableIPv4 false (an IPv6-only flannel): this collection converts IPv4 clusters; "
            "nothing to add here" % where
        )
    if "Network" not in conf:
        raise DualStackError(
            "%s has no Network: flannel needs the IPv4 pod range in Network (it must equal the cluster's "
            "--cluster-cidr %s); add it by hand first" % (where, v4)
        )
    network = canonical_cidr_or_error(conf["Network"], "%s Network" % where)
    if network != v4:
        raise DualStackError(
            "%s: flannel Network %s is not the cluster's primary pod range %s (--cluster-cidr[0]): "
            "flannel expects every node's podCIDR inside Network. Give pod_cidrs with %s first if that "
            "is the cluster's range, or fix net-conf.json (and the cluster) so that both agree"
            % (where, conf["Network"], v4, network)
        )
    backend = str((conf.get("Backend") or {}).get("Type", "vxlan")).lower()
    if backend not in FLANNEL_DUAL_STACK_BACKENDS:
        raise DualStackError(
            "%s: flannel backend %r carries IPv4 only (flannel: only vxlan, host-gw and wireguard backends support "
            "dual stack; any other backend gets an IPv4-only lease); switch the backend to vxlan, host-gw or "
            "wireguard first" % (where, backend)
        )
    current_v6 = conf.get("IPv6Network")
    if current_v6 is not None:
        existing = canonical_cidr_or_error(current_v6, "%s IPv6Network" % where)
        if existing != v6:
            raise DualStackError(
                "%s: flannel IPv6Network is already %s, not the cluster's IPv6 pod range %s: a running flannel "
                "cannot move its range; give pod_cidrs with %s as the IPv6 range, or fix the ConfigMap by hand"
                % (where, current_v6, v6, existing)
            )
    result = copy.deepcopy(item)
    if conf.get("EnableIPv6") is True and current_v6 is not None:
        return result
    updated: Dict[str, Any] = {}
    for key, value in conf.items():
        if key in ("EnableIPv6", "IPv6Network") and current_v6 is None:
            continue
        updated[key] = value
        if key == "Network" and current_v6 is None:
            updated["IPv6Network"] = str(v6)
            updated["EnableIPv6"] = True
    updated["EnableIPv6"] = True
    result["data"]["net-conf.json"] = dump_embedded_json(updated, text)
    return result


def flannel_singlestack(obj: Any) -> Dict[str, Any]:
    """Turn IPv6 off in flannel's ``net-conf.json`` (the way back of :func:`flannel_dualstack`).

    ``EnableIPv6`` and ``IPv6Network`` are removed; every other key and its order are kept.
    flannel's kube subnet manager fails a node whose lease asks for IPv6 while its Node has no
    IPv6 podCIDR, so this must happen before the Nodes lose their IPv6 podCIDRs.
    """
    item, where, text, conf = flannel_net_conf(obj, "flannel_singlestack")
    if conf.get("EnableIPv4") is False or "Network" not in conf:
        raise DualStackError(
            "%s has no IPv4 Network (EnableIPv4 false or no Network): flannel would be left without any pod range; "
            "this collection rolls back to the cluster's IPv4 family only" % where
        )
    result = copy.deepcopy(item)
    if "EnableIPv6" not in conf and "IPv6Network" not in conf:
        return result
    updated = {key: value for key, value in conf.items() if key not in ("EnableIPv6", "IPv6Network")}
    result["data"]["net-conf.json"] = dump_embedded_json(updated, text)
    return result


# --------------------------------------------------------------------------------------------
# Calico (manifest install)
# --------------------------------------------------------------------------------------------

CALICO_HINT = (
    "pass the calico-config ConfigMap, the calico-node DaemonSet or an IPv6 IPPool "
    "('kubectl -n kube-system get configmap calico-config -o json', 'kubectl -n kube-system get daemonset "
    "calico-node -o json', 'kubectl get ippools.crd.projectcalico.org -o json'); an operator-managed Calico "
    "(tigera-operator, Installation resource) is configured through its Installation instead"
)


def calico_plugin(conf: Any, where: str) -> Dict[str, Any]:
    """The ``type: calico`` plugin of a CNI conflist (or the config itself when it is not a list)."""
    if isinstance(conf, dict) and isinstance(conf.get("plugins"), list):
        for plugin in conf["plugins"]:
            if isinstance(plugin, dict) and plugin.get("type") == "calico":
                return plugin
        raise DualStackError("%s has no plugin of type calico: it is not Calico's CNI configuration" % where)
    if isinstance(conf, dict) and conf.get("type") == "calico":
        return conf
    raise DualStackError("%s is not Calico's CNI configuration (no type calico plugin)" % where)


def check_encap(name: str, value: Any) -> str:
    text = str(value)
    if text not in CALICO_ENCAP_MODES:
        raise DualStackError("%s %r is not a Calico encapsulation mode: use one of %s" % (name, value, ", ".join(CALICO_ENCAP_MODES)))
    return text


def check_ipv6_pool(cidr: Any, block_size: Any, ipip_mode: Any, vxlan_mode: Any) -> Tuple[Network, int, str]:
    """Calico's rules for an IPv6 IPPool: block 116..128 inside the pool, no IPIP."""
    network = parse_cidr(cidr) if not isinstance(cidr, ipaddress.IPv6Network) else cidr
    if network.version != 6:
        raise DualStackError("IPv6 pool cidr %s is an %s range: give the IPv6 pod range" % (network, family_name(network.version)))
    if isinstance(block_size, bool) or not str(block_size).strip().isdigit():
        raise DualStackError("blockSize %r is not an integer: use %d..%d (Calico's default for IPv6 is %d)"
                             % (block_size, CALICO_V6_BLOCK_MIN, CALICO_V6_BLOCK_MAX, CALICO_V6_BLOCK_DEFAULT))
    size = int(str(block_size).strip())
    if not CALICO_V6_BLOCK_MIN <= size <= CALICO_V6_BLOCK_MAX:
        raise DualStackError(
            "blockSize %d for IPv6 pool %s: Calico accepts IPv6 block sizes %d to %d (IPv6 block size must be "
            "between %d and %d); use %d, Calico's default" % (size, network, CALICO_V6_BLOCK_MIN, CALICO_V6_BLOCK_MAX,
                                                              CALICO_V6_BLOCK_MIN, CALICO_V6_BLOCK_MAX, CALICO_V6_BLOCK_DEFAULT)
        )
    if size < network.prefixlen:
        raise DualStackError(
            "blockSize %d is larger than IPv6 pool %s (/%d): a block must fit in its pool; use a blockSize of "
            "%d or more, or a larger pool" % (size, network, network.prefixlen, max(network.prefixlen, CALICO_V6_BLOCK_MIN))
        )
    if str(ipip_mode) not in ("Never", "", "None"):
        raise DualStackError(
            "ipipMode %r for IPv6 pool %s: IPIP cannot carry IPv6 (IP-in-IP encapsulates in IPv4 only; "
            "kubespray asserts calico_ipip_mode_ipv6 is Never); use ipipMode Never and vxlanMode Always or "
            "CrossSubnet for an overlay" % (ipip_mode, network)
        )
    return network, size, check_encap("vxlanMode", vxlan_mode)


def calico_ippool(
    pod_cidrs: Any,
    block_size: Any = CALICO_V6_BLOCK_DEFAULT,
    vxlan_mode: Any = "Always",
    ipip_mode: Any = "Never",
    nat_outgoing: Any = True,
    name: Any = CALICO_POOL_NAME,
    api_version: Any = "crd.projectcalico.org/v1",
    pool_cidr: Any = None,
    node_selector: Any = "all()",
) -> Dict[str, Any]:
    """A new IPv6 ``IPPool`` for Calico IPAM, in the CRD (v1) or the Calico API (v3) shape.

    ``pool_cidr`` defaults to the IPv6 pod range and must lie inside it.
    """
    v6 = dual_pod_ranges(pod_cidrs)[1]
    cidr = parse_cidr(pool_cidr) if pool_cidr not in (None, "") else v6
    if cidr.version != 6 or not cidr.subnet_of(v6):  # type: ignore[arg-type]
        raise DualStackError(
            "pool_cidr %s is not inside the cluster's IPv6 pod range %s: Calico must assign pod addresses "
            "from --cluster-cidr; use %s or a range inside it" % (cidr, v6, v6)
        )
    network, size, vxlan = check_ipv6_pool(cidr, block_size, ipip_mode, vxlan_mode)
    if api_version not in CALICO_API_VERSIONS:
        raise DualStackError("api_version %r is not an IPPool API: use %s" % (api_version, " or ".join(CALICO_API_VERSIONS)))
    if not isinstance(nat_outgoing, bool):
        raise DualStackError("nat_outgoing %r must be true or false" % (nat_outgoing,))
    if not isinstance(name, str) or not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name):
        raise DualStackError("name %r is not a valid object name (lower case letters, digits, '-', '.')" % (name,))
    return {
        "apiVersion": api_version,
        "kind": "IPPool",
        "metadata": {"name": name},
        "spec": {
            "cidr": str(network),
            "blockSize": size,
            "ipipMode": "Never",
            "vxlanMode": vxlan,
            "natOutgoing": nat_outgoing,
            "nodeSelector": str(node_selector),
        },
    }


def calico_cni_config(item: Dict[str, Any]) -> Tuple[str, str, Any, Dict[str, Any], Dict[str, Any]]:
    """calico-config's CNI configuration: where it is, its text, the parsed conflist, the calico plugin and its ipam."""
    where = "%s data.cni_network_config" % object_name(item)
    text = (item.get("data") or {}).get("cni_network_config")
    if text is None:
        raise DualStackError("%s has no data key cni_network_config: %s" % (object_name(item), CALICO_HINT))
    conf = load_embedded_json(text, where)
    plugin = calico_plugin(conf, where)
    ipam = plugin.get("ipam") if isinstance(plugin.get("ipam"), dict) else {"type": "calico-ipam"}
    return where, text, conf, plugin, ipam


def calico_configmap(item: Dict[str, Any]) -> Dict[str, Any]:
    where, text, conf, plugin, ipam = calico_cni_config(item)
    result = copy.deepcopy(item)
    kind = ipam.get("type", "calico-ipam")
    if kind == "calico-ipam":
        if ipam.get("assign_ipv4") == "true" and ipam.get("assign_ipv6") == "true":
            return result
        new_ipam = dict(ipam)
        new_ipam["assign_ipv4"] = "true"
        new_ipam["assign_ipv6"] = "true"
    elif kind == "host-local":
        ranges = ipam.get("ranges")
        wanted = [[{"subnet": "usePodCidr"}], [{"subnet": "usePodCidrIPv6"}]]
        if ranges == wanted:
            return result
        if ipam.get("subnet") not in (None, "usePodCidr") or (ranges is not None and ranges != wanted[:1]):
            raise DualStackError(
                "%s: host-local IPAM with fixed subnets %r: only usePodCidr (the node's podCIDRs) can be made "
                "dual-stack here; set the ranges by hand" % (where, ipam.get("subnet", ranges))
            )
        new_ipam = {key: value for key, value in ipam.items() if key != "subnet"}
        new_ipam["ranges"] = wanted
    else:
        raise DualStackError("%s: IPAM type %r is not calico-ipam or host-local; configure IPv6 by hand" % (where, kind))
    plugin["ipam"] = new_ipam
    result["data"]["cni_network_config"] = dump_embedded_json(conf, text)
    return result


def calico_daemonset(item: Dict[str, Any], v6: Network, block_size: int, vxlan_mode: str, nat_outgoing: bool,
                     autodetection: Optional[str]) -> Dict[str, Any]:
    result = copy.deepcopy(item)
    container = find_container(result, "calico-node", "calico_dualstack")
    current = env_value(container, "CALICO_IPV6POOL_CIDR")
    if current not in (None, ""):
        existing = canonical_cidr_or_error(current, "%s env CALICO_IPV6POOL_CIDR" % object_name(item))
        if existing != v6 and not existing.subnet_of(v6):  # type: ignore[arg-type]
            raise DualStackError(
                "%s: CALICO_IPV6POOL_CIDR is %s, outside the cluster's IPv6 pod range %s: give pod_cidrs with the "
                "IPv6 range the cluster uses, or fix the DaemonSet" % (object_name(item), current, v6)
            )
        pool = current
    else:
        pool = str(v6)
    wanted = [
        ("IP6", "autodetect"),
        ("FELIX_IPV6SUPPORT", "true"),
        ("CALICO_IPV6POOL_CIDR", pool),
        ("CALICO_IPV6POOL_BLOCK_SIZE", str(block_size)),
        ("CALICO_IPV6POOL_VXLAN", vxlan_mode),
        ("CALICO_IPV6POOL_NAT_OUTGOING", "true" if nat_outgoing else "false"),
    ]
    if autodetection:
        wanted.append(("IP6_AUTODETECTION_METHOD", autodetection))
    for name, value in wanted:
        if name == "IP6" and env_value(container, "IP6") not in (None, "", "none"):
            continue  # an explicit address or autodetect already: keep it
        set_env(container, name, value)
    return result


def calico_pool_conflict(item: Dict[str, Any], v6: Network) -> Optional[Tuple[str, str]]:
    """Why an existing IPPool cannot stay beside the target IPv6 pod range ``v6``, and the fix; None when it can.

    * an IPv6 pool inside ``v6`` is the conversion's own (created by an earlier run, or disabled
      by the way back): it is used again;
    * an IPv6 pool that overlaps ``v6`` without being inside it, disabled or not: Calico refuses a
      pool that overlaps another (libcalico-go IPPool validation: "IPPool(s) ... overlaps with"), and
      pods would get addresses outside ``--cluster-cidr``;
    * an enabled IPv6 pool outside ``v6``: pods would get addresses outside ``--cluster-cidr``
      (a disabled one hands out nothing and is left alone).
    """
    spec = item.get("spec") or {}
    cidr = canonical_cidr_or_error(spec.get("cidr"), "%s spec.cidr" % object_name(item))
    if cidr.version == 4 or cidr.subnet_of(v6):  # type: ignore[arg-type]
        return None
    disabled = spec.get("disabled") is True
    if cidr.overlaps(v6):  # type: ignore[arg-type]
        return ("Calico %s (%s, %s) overlaps the target IPv6 pod range %s without being inside it: Calico refuses "
                "overlapping pools and pods would get addresses outside --cluster-cidr"
                % (object_name(item), cidr, "disabled" if disabled else "enabled", v6),
                "delete that pool, or give pod_cidrs with an IPv6 range that contains it or is apart from it")
    if disabled:
        return None
    return ("Calico %s (%s, enabled) is outside the target IPv6 pod range %s: pods would get addresses outside "
            "--cluster-cidr" % (object_name(item), cidr, v6),
            "disable that pool, or give pod_cidrs with the range it belongs to")


def enabled_ipv6_pools(pools: Any) -> List[str]:
    """The names of the enabled IPv6 IPPools among ``pools`` (``spec.disabled`` absent counts as enabled).

    Run on the output of :func:`calico_dualstack`, which refuses every enabled IPv6 pool outside the
    target range, these are the pools that give pods their IPv6 address; none means the cni role creates one.
    """
    names = []
    for pool in objects_of(pools, "enabled_ipv6_pools"):
        spec = pool.get("spec") or {}
        if ":" in str(spec.get("cidr", "")) and not spec.get("disabled", False):
            names.append(str((pool.get("metadata") or {}).get("name", "?")))
    return names


def calico_pool(item: Dict[str, Any], v6: Network, block_size: int, vxlan_mode: str, nat_outgoing: bool) -> Dict[str, Any]:
    """An existing IPPool: IPv4 pools and disabled IPv6 pools apart from the target pass unchanged;
    an IPv6 pool inside the target is checked, completed and enabled (the way back disables it)."""
    spec = item.get("spec") or {}
    cidr = canonical_cidr_or_error(spec.get("cidr"), "%s spec.cidr" % object_name(item))
    result = copy.deepcopy(item)
    conflict = calico_pool_conflict(item, v6)
    if conflict:
        raise DualStackError("%s; %s" % conflict)
    if cidr.version == 4 or not cidr.subnet_of(v6):  # type: ignore[arg-type]
        return result
    size = spec.get("blockSize", CALICO_V6_BLOCK_DEFAULT)
    check_ipv6_pool(cidr, size, spec.get("ipipMode", "Never"), spec.get("vxlanMode", "Never"))
    if int(size) != block_size and "blockSize" in spec:
        raise DualStackError(
            "%s: blockSize is %s, not %d: Calico cannot change the block size of an existing pool; use "
            "block_size=%s, or create a new pool and migrate" % (object_name(item), size, block_size, size)
        )
    new_spec = result.setdefault("spec", {})
    new_spec.setdefault("blockSize", block_size)
    if new_spec.get("ipipMode") in (None, ""):
        new_spec["ipipMode"] = "Never"
    new_spec["vxlanMode"] = vxlan_mode
    new_spec["natOutgoing"] = nat_outgoing
    if new_spec.get("disabled") is True:
        new_spec["disabled"] = False
    return result


def calico_dualstack(
    obj: Any,
    pod_cidrs: Any,
    block_size: Any = CALICO_V6_BLOCK_DEFAULT,
    vxlan_mode: Any = "Always",
    nat_outgoing: Any = True,
    ip6_autodetection_method: Any = None,
) -> Any:
    """Make one Calico object dual-stack (a list or ``*List`` gives a list, item by item).

    * ConfigMap ``calico-config``: ``ipam`` of the calico plugin gets ``assign_ipv4``/``assign_ipv6``
      ``"true"`` (calico-ipam) or ``ranges`` usePodCidr + usePodCidrIPv6 (host-local).
    * DaemonSet ``calico-node``: env ``IP6=autodetect``, ``FELIX_IPV6SUPPORT=true``,
      ``CALICO_IPV6POOL_CIDR``, ``CALICO_IPV6POOL_BLOCK_SIZE``, ``CALICO_IPV6POOL_VXLAN``,
      ``CALICO_IPV6POOL_NAT_OUTGOING``.
    * IPPool: IPv4 pools unchanged; an IPv6 pool is validated and gets ``natOutgoing``/``vxlanMode``.
    """
    v6 = dual_pod_ranges(pod_cidrs)[1]
    size, vxlan = check_ipv6_pool(v6, block_size, "Never", vxlan_mode)[1:]
    if not isinstance(nat_outgoing, bool):
        raise DualStackError("nat_outgoing %r must be true or false" % (nat_outgoing,))

    def transform(item: Dict[str, Any]) -> Dict[str, Any]:
        kind = item["kind"]
        if kind == "ConfigMap" and "cni_network_config" in (item.get("data") or {}):
            return calico_configmap(item)
        if kind == "DaemonSet":
            return calico_daemonset(item, v6, size, vxlan, nat_outgoing, ip6_autodetection_method or None)
        if kind == "IPPool":
            return calico_pool(item, v6, size, vxlan, nat_outgoing)
        raise DualStackError("calico_dualstack: %s is not a Calico object it changes: %s" % (object_name(item), CALICO_HINT))

    return map_objects(obj, "calico_dualstack", CALICO_HINT, transform)


def calico_configmap_off(item: Dict[str, Any]) -> Dict[str, Any]:
    """CNI ``ipam``: ``assign_ipv6`` "false" (calico-ipam) or the usePodCidr range alone (host-local)."""
    where, text, conf, plugin, ipam = calico_cni_config(item)
    result = copy.deepcopy(item)
    kind = ipam.get("type", "calico-ipam")
    if kind == "calico-ipam":
        if ipam.get("assign_ipv6") in (None, "false"):
            return result
        new_ipam = dict(ipam)
        new_ipam["assign_ipv6"] = "false"
    elif kind == "host-local":
        ranges = ipam.get("ranges")
        if ranges is None or ranges == [[{"subnet": "usePodCidr"}]]:
            return result
        if ranges != [[{"subnet": "usePodCidr"}], [{"subnet": "usePodCidrIPv6"}]]:
            raise DualStackError(
                "%s: host-local IPAM with ranges %r: only the usePodCidr + usePodCidrIPv6 pair this collection writes "
                "is rolled back; set the ranges by hand" % (where, ranges)
            )
        new_ipam = dict(ipam)
        new_ipam["ranges"] = ranges[:1]
    else:
        raise DualStackError("%s: IPAM type %r is not calico-ipam or host-local; turn IPv6 off by hand" % (where, kind))
    plugin["ipam"] = new_ipam
    result["data"]["cni_network_config"] = dump_embedded_json(conf, text)
    return result


def calico_daemonset_off(item: Dict[str, Any]) -> Dict[str, Any]:
    """calico-node: ``FELIX_IPV6SUPPORT=false`` (Felix defaults to true) and ``IP6=none`` where ``IP6`` is set.

    The ``CALICO_IPV6POOL_*`` variables stay: calico-node reads them only to create a default
    IPv6 pool, which it does only with IPv6 on.
    """
    result = copy.deepcopy(item)
    container = find_container(result, "calico-node", "calico_singlestack")
    if env_value(container, "FELIX_IPV6SUPPORT") != "false":
        set_env(container, "FELIX_IPV6SUPPORT", "false")
    if env_value(container, "IP6") not in (None, "none") or any(
            entry.get("name") == "IP6" and "valueFrom" in entry for entry in container.get("env") or []):
        set_env(container, "IP6", "none")
    return result


def calico_pool_off(item: Dict[str, Any]) -> Dict[str, Any]:
    """An IPv6 IPPool gets ``disabled: true`` (no new pod gets an address from it); IPv4 pools pass unchanged.

    Calico's way to retire a pool: disable it, recreate the pods that still hold its addresses,
    then delete it (deleting a pool in use leaves those pods' addresses unmanaged).
    """
    cidr = canonical_cidr_or_error((item.get("spec") or {}).get("cidr"), "%s spec.cidr" % object_name(item))
    result = copy.deepcopy(item)
    if cidr.version == 6 and result.get("spec", {}).get("disabled") is not True:
        result["spec"]["disabled"] = True
    return result


def calico_singlestack(obj: Any) -> Any:
    """Turn IPv6 off in one Calico object (a list or ``*List`` gives a list): the way back of :func:`calico_dualstack`.

    * ConfigMap ``calico-config``: ``assign_ipv6`` ``"false"`` (calico-ipam), or ``ranges`` with
      usePodCidr only (host-local).
    * DaemonSet ``calico-node``: ``FELIX_IPV6SUPPORT=false``, ``IP6=none`` where it is set (the
      ``CALICO_IPV6POOL_*`` variables stay, see :func:`calico_daemonset_off`).
    * IPPool: IPv6 pools ``disabled: true``; IPv4 pools unchanged.
    """
    def transform(item: Dict[str, Any]) -> Dict[str, Any]:
        kind = item["kind"]
        if kind == "ConfigMap" and "cni_network_config" in (item.get("data") or {}):
            return calico_configmap_off(item)
        if kind == "DaemonSet":
            return calico_daemonset_off(item)
        if kind == "IPPool":
            return calico_pool_off(item)
        raise DualStackError("calico_singlestack: %s is not a Calico object it changes: %s" % (object_name(item), CALICO_HINT))

    return map_objects(obj, "calico_singlestack", CALICO_HINT, transform)


# --------------------------------------------------------------------------------------------
# ip-masq-agent and plain ip6tables masquerade
# --------------------------------------------------------------------------------------------

IP_MASQ_HINT = (
    "pass the ip-masq-agent ConfigMap or DaemonSet ('kubectl -n kube-system get configmap ip-masq-agent -o json', "
    "'kubectl -n kube-system get daemonset ip-masq-agent -o json')"
)


def merge_cidrs(existing: List[Any], added: List[Network], where: str) -> List[str]:
    """Existing entries first (canonical, duplicates dropped), then each added range not already covered."""
    seen: List[Network] = []
    for entry in existing:
        network = canonical_cidr_or_error(entry, where)
        if network not in seen:
            seen.append(network)
    for network in added:
        if not any(old.version == network.version and network.subnet_of(old) for old in seen):  # type: ignore[arg-type]
            seen.append(network)
    return [str(network) for network in seen]


def ip_masq_configmap(item: Dict[str, Any], ranges: List[Network], nomasq_all_reserved_ranges: bool) -> Dict[str, Any]:
    where = "%s data.config" % object_name(item)
    if yaml is None:  # pragma: no cover
        raise DualStackError("%s: reading the agent's YAML configuration needs PyYAML; install it" % where)
    text = (item.get("data") or {}).get("config")
    if text is None or not str(text).strip():
        config: Dict[str, Any] = {}
    else:
        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise DualStackError("%s is not valid YAML/JSON (%s): fix the ConfigMap by hand first" % (where, err)) from None
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise DualStackError("%s is not a mapping (%r): the agent expects keys such as nonMasqueradeCIDRs" % (where, config))
    current = config.get("nonMasqueradeCIDRs")
    if current is None:
        base = IP_MASQ_RESERVED_NONMASQ if nomasq_all_reserved_ranges else IP_MASQ_DEFAULT_NONMASQ
    elif isinstance(current, list):
        base = current
    else:
        raise DualStackError("%s nonMasqueradeCIDRs is %r, not a list of CIDRs" % (where, current))
    merged = merge_cidrs(base, ranges, "%s nonMasqueradeCIDRs" % where)
    limit = config.get("cidrLimit", IP_MASQ_CIDR_LIMIT)
    if isinstance(limit, int) and len(merged) > limit:
        raise DualStackError(
            "%s: nonMasqueradeCIDRs would hold %d entries, over cidrLimit %d (the agent rejects the config): raise "
            "cidrLimit or merge entries" % (where, len(merged), limit)
        )
    result = copy.deepcopy(item)
    if current == merged:
        return result
    updated = dict(config)
    updated["nonMasqueradeCIDRs"] = merged
    result.setdefault("data", {})
    if isinstance(text, str) and text.lstrip().startswith("{"):
        result["data"]["config"] = json.dumps(updated) + ("\n" if text.endswith("\n") else "")
    else:
        result["data"]["config"] = yaml.safe_dump(updated, default_flow_style=False, sort_keys=False)
    return result


ENABLE_IPV6_FLAG = re.compile(r"^--?enable-ipv6(=.*)?$")


def ip_masq_daemonset(item: Dict[str, Any], container_name: str, enable: bool = True, what: str = "ip_masq_agent_dualstack") -> Dict[str, Any]:
    """The agent's container args end with ``--enable-ipv6=true`` (``enable``), or carry no ``--enable-ipv6`` (its default, false)."""
    result = copy.deepcopy(item)
    container = find_container(result, container_name, what)
    args = container.get("args")
    if args is None:
        args = []
    if not isinstance(args, list):
        raise DualStackError("%s: %s container args is not a list" % (what, object_name(item)))
    command = container.get("command") or []
    if any(isinstance(arg, str) and ENABLE_IPV6_FLAG.match(arg) for arg in command):
        raise DualStackError(
            "%s: %s sets --enable-ipv6 in the container command: move the flag to args" % (what, object_name(item))
        )
    present = [arg for arg in args if isinstance(arg, str) and ENABLE_IPV6_FLAG.match(arg)]
    if present == (["--enable-ipv6=true"] if enable else []):
        return result
    new_args = [arg for arg in args if not (isinstance(arg, str) and ENABLE_IPV6_FLAG.match(arg))]
    if enable:
        new_args.append("--enable-ipv6=true")
    if new_args:
        container["args"] = new_args
    else:
        container.pop("args", None)  # no args and an empty list mean the same
    return result


def ip_masq_agent_dualstack(obj: Any, pod_cidrs: Any, nonmasq_cidrs: Any = None, container: Any = "ip-masq-agent",
                            nomasq_all_reserved_ranges: Any = False) -> Any:
    """ip-masq-agent for dual-stack: both pod ranges in ``nonMasqueradeCIDRs``, ``--enable-ipv6=true``.

    A ConfigMap without ``nonMasqueradeCIDRs`` is seeded with the agent's own defaults (RFC 1918,
    or every reserved range with ``nomasq_all_reserved_ranges``) so that IPv4 egress is unchanged.
    """
    v4, v6 = dual_pod_ranges(pod_cidrs)
    extra: List[Network] = []
    if nonmasq_cidrs not in (None, "", []):
        items = nonmasq_cidrs.split(",") if isinstance(nonmasq_cidrs, str) else list(nonmasq_cidrs)
        extra = [parse_cidr(str(entry).strip()) for entry in items]
    ranges = [v4, v6] + extra

    def transform(item: Dict[str, Any]) -> Dict[str, Any]:
        if item["kind"] == "ConfigMap":
            return ip_masq_configmap(item, ranges, bool(nomasq_all_reserved_ranges))
        if item["kind"] == "DaemonSet":
            return ip_masq_daemonset(item, str(container))
        raise DualStackError("ip_masq_agent_dualstack: %s is not the agent's ConfigMap or DaemonSet: %s" % (object_name(item), IP_MASQ_HINT))

    return map_objects(obj, "ip_masq_agent_dualstack", IP_MASQ_HINT, transform)


def ip_masq_agent_singlestack(obj: Any, container: Any = "ip-masq-agent") -> Any:
    """The way back of :func:`ip_masq_agent_dualstack`: the DaemonSet loses ``--enable-ipv6`` (the agent's default is false).

    The ConfigMap is returned unchanged: with IPv6 off the agent writes no ip6tables rules, so
    the IPv6 entries of ``nonMasqueradeCIDRs`` are inert, and a later conversion finds them in place.
    """

    def transform(item: Dict[str, Any]) -> Dict[str, Any]:
        if item["kind"] == "ConfigMap":
            return copy.deepcopy(item)
        if item["kind"] == "DaemonSet":
            return ip_masq_daemonset(item, str(container), enable=False, what="ip_masq_agent_singlestack")
        raise DualStackError("ip_masq_agent_singlestack: %s is not the agent's ConfigMap or DaemonSet: %s" % (object_name(item), IP_MASQ_HINT))

    return map_objects(obj, "ip_masq_agent_singlestack", IP_MASQ_HINT, transform)


def ipv6_masquerade_rules(pod_cidrs: Any, service_cidrs: Any = None, chain: Any = MASQ6_CHAIN, nonmasq_cidrs: Any = None) -> List[Dict[str, Any]]:
    """The ``ip6tables -t nat`` rules that masquerade IPv6 pod traffic leaving the cluster.

    For a plain bridge CNI without ip-masq-agent. Returned in order, each as
    ``{"chain": ..., "rule": [args...]}`` for ``ip6tables -t nat -C/-A <chain> <args>``:
    the jump from POSTROUTING for traffic from the pod range, RETURN for the IPv6 Service
    range and any extra ranges, then ``-s <pod> ! -d <pod> -j MASQUERADE``.
    """
    v6 = dual_pod_ranges(pod_cidrs)[1]
    if not isinstance(chain, str) or not re.match(r"^[A-Za-z0-9_.-]{1,28}$", chain) or chain.upper() in ("POSTROUTING", "PREROUTING", "OUTPUT", "INPUT"):
        raise DualStackError(
            "chain %r is not a usable chain name: use a dedicated chain of up to 28 letters, digits, '-', '_' or '.', "
            "e.g. %s" % (chain, MASQ6_CHAIN)
        )
    excluded: List[Network] = []
    if service_cidrs not in (None, "", []):
        services = [parse_cidr(item) for item in dualstack_cidrs(service_cidrs, "service", kube_version="1.34")]
        excluded.extend(net for net in services if net.version == 6)
    if nonmasq_cidrs not in (None, "", []):
        items = nonmasq_cidrs.split(",") if isinstance(nonmasq_cidrs, str) else list(nonmasq_cidrs)
        for entry in items:
            network = parse_cidr(str(entry).strip())
            if network.version != 6:
                raise DualStackError("nonmasq_cidrs entry %s is not IPv6: these are ip6tables rules; list IPv6 ranges only" % network)
            if network not in excluded:
                excluded.append(network)
    rules: List[Dict[str, Any]] = [
        {"chain": "POSTROUTING", "rule": ["-s", str(v6), "-m", "comment", "--comment", MASQ6_COMMENT, "-j", chain]}
    ]
    for network in excluded:
        rules.append({"chain": chain, "rule": ["-d", str(network), "-j", "RETURN"]})
    rules.append({"chain": chain, "rule": ["-s", str(v6), "!", "-d", str(v6), "-j", "MASQUERADE"]})
    return rules
