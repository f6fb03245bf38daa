# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""IPv6 egress of pods: ip-masq-agent for dual-stack and back, or plain ip6tables masquerade rules.

IPv6 pod traffic leaving the cluster needs masquerading as IPv4 traffic does
(``/work/shared/reference/dual-stack-facts.md`` §3.5, §4 item 8):

* ip-masq-agent: ``--enable-ipv6`` (default false) and ``nonMasqueradeCIDRs`` in the ``config``
  key of ConfigMap ``ip-masq-agent`` (kubernetes-sigs/ip-masq-agent README); ``cidrLimit`` and the
  ranges the agent uses when ``nonMasqueradeCIDRs`` is unset are its documented defaults;
* a plain bridge CNI without ip-masq-agent: ``ip6tables -t nat`` rules in a chain of their own
  (:data:`MASQ6_CHAIN`), jumped to from ``POSTROUTING`` for traffic from the IPv6 pod range.

Objects in and out as :mod:`cni_objects` describes.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Dict, List

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core on the controller, where filters run
    yaml = None

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import Network, dualstack_cidrs, parse_cidr
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_objects import (
    canonical_cidr_or_error,
    dual_pod_ranges,
    find_container,
    map_objects,
    object_name,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: ip-masq-agent defaults: ``cidrLimit`` and the ranges it uses when ``nonMasqueradeCIDRs`` is unset.
IP_MASQ_CIDR_LIMIT = 64
IP_MASQ_DEFAULT_NONMASQ = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
IP_MASQ_RESERVED_NONMASQ = [
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24",
    "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
]
MASQ6_CHAIN = "DUALSTACK-MASQ6"
MASQ6_COMMENT = "dualstack.kubernetes: masquerade IPv6 pod egress"


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
