# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Calico installed from its manifest: CNI IPAM, calico-node env and IPPools, for dual-stack and the way back.

Sources of the rules (``/work/shared/reference/dual-stack-facts.md`` §2.2, §4):

* CNI ``ipam.assign_ipv6``, calico-node ``IP6=autodetect``, ``FELIX_IPV6SUPPORT=true``,
  ``CALICO_IPV6POOL_CIDR`` (tigera docs ``networking/ipam/ipv6``);
* IPv6 block sizes 116..128, default 122 (IPPool CRD: "Defaults to 26 for IPv4 and 122 for
  IPv6"); IPIP cannot carry IPv6 (kubespray asserts ``calico_ipip_mode_ipv6: Never``);
* pools must not overlap (libcalico-go IPPool validation); a pool is retired by disabling it.

An operator-managed Calico (tigera-operator, Installation resource) is configured through its
Installation instead. Objects in and out as :mod:`cni_objects` describes.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import Network, family_name, parse_cidr
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_objects import (
    canonical_cidr_or_error,
    dual_pod_ranges,
    dump_embedded_json,
    env_value,
    find_container,
    load_embedded_json,
    map_objects,
    object_name,
    objects_of,
    set_env,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: Calico: IPv6 pools take blocks of /116 to /128; the CRD documents 122 as the default.
CALICO_V6_BLOCK_MIN = 116
CALICO_V6_BLOCK_MAX = 128
CALICO_V6_BLOCK_DEFAULT = 122
CALICO_ENCAP_MODES = ("Never", "Always", "CrossSubnet")
CALICO_API_VERSIONS = ("crd.projectcalico.org/v1", "projectcalico.org/v3")
CALICO_POOL_NAME = "default-ipv6-ippool"


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
