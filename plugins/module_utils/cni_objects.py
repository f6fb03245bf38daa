# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Kubernetes objects as the CNI and egress transformations read them: one contract, shared helpers.

:mod:`cni_ipam`, :mod:`flannel`, :mod:`calico` and :mod:`egress` (and the CNI detection of
:mod:`cni_detect`) take Kubernetes objects as ``kubectl get -o json`` returns them (plain dicts: one
object, a list, or a ``kind: List``/``*List`` object with ``items``). Every transformation never
changes its input and returns new plain dicts. Transforming an object twice gives the same result as
transforming it once, and an object that already has what dual-stack needs is returned unchanged,
embedded JSON/YAML text included (no re-formatting without a change).

What they share is here: accepting, naming and mapping over objects; CIDRs read from an object (host
bits tolerated, as Go's ``net.ParseCIDR`` does); JSON embedded in a ConfigMap, with the bare
install-time placeholders of the published manifests (``"mtu": __CNI_MTU__`` in Calico's
``cni_network_config``) kept bare; the containers of a workload's pod template and their literal env
vars; and the ``pod_cidrs`` argument, which must hold the cluster's existing IPv4 range first and the
new IPv6 range second (a conversion adds a family and never changes the primary one:
``/work/shared/reference/dual-stack-facts.md`` §4).
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import Network, dualstack_cidrs, parse_cidr
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


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
