# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""flannel's ``net-conf.json`` (ConfigMap ``kube-flannel-cfg``): IPv6 on for dual-stack, off for the way back.

Sources of the rules (``/work/shared/reference/dual-stack-facts.md`` §2.2, §4):

* ``EnableIPv6`` and ``IPv6Network`` next to ``Network`` (flannel PR #1398, "Add dual stack
  support"); flannel's kube subnet manager takes each node's subnets from ``node.spec.podCIDRs``,
  so ``Network`` must be the cluster's primary (IPv4) pod range;
* only the vxlan, host-gw and wireguard backends carry IPv6 (``pkg/subnet/kube/kube.go``).

Objects in and out as :mod:`cni_objects` describes: the input is never changed, and a ConfigMap
that already has what is asked comes back unchanged, its JSON text included.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_objects import (
    canonical_cidr_or_error,
    dual_pod_ranges,
    dump_embedded_json,
    expect_kind,
    load_embedded_json,
    object_name,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: flannel backends that carry IPv6: flannel's kube subnet manager (pkg/subnet/kube/kube.go) says "only vxlan,
#: host-gw and wireguard backends support dual stack now" and turns IPv6 off in the lease of any other backend.
FLANNEL_DUAL_STACK_BACKENDS = ("vxlan", "host-gw", "wireguard")


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
