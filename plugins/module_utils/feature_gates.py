# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The ``--feature-gates`` value, and what each version needs of ``IPv6DualStack``."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.versions import (
    GATE_DEFAULT_ON,
    GATE_REMOVED,
    Version,
    at_least,
    parse_version,
    require_dual_stack_version,
)

GATE = "IPv6DualStack"

Gates = List[Tuple[str, bool]]


def parse_bool(name: str, value: Any) -> bool:
    """A gate value: a boolean or the strings true/false in any case (pflag ``ParseBool`` words)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "t", "1"):
        return True
    if text in ("false", "f", "0"):
        return False
    raise DualStackError(
        "feature gate %s=%r: invalid value of %s=%s, err: strconv.ParseBool: parsing %r: invalid syntax. "
        "Use true or false" % (name, value, name, value, str(value))
    )


def parse_feature_gates(current: Any) -> Gates:
    """Parse ``Name=true,Other=false``, a dict or an empty value into an ordered list.

    Like component-base's ``featureGate.Set``, a name given twice keeps its last value
    (it keeps the position of its first appearance).
    """
    if current is None or current == "" or current == {}:
        return []
    if isinstance(current, dict):
        pairs = [(str(name).strip(), value) for name, value in current.items()]
    elif isinstance(current, str):
        pairs = []
        for item in current.split(","):
            item = item.strip()
            if not item:
                continue
            if "=" not in item:
                raise DualStackError(
                    "feature gate entry %r in %r: missing bool value for %s. Write Name=true or Name=false"
                    % (item, current, item)
                )
            name, value = item.split("=", 1)
            pairs.append((name.strip(), value))
    else:
        raise DualStackError(
            "feature gates %r: expected a string such as 'Name=true,Other=false', a dict or an empty value"
            % (current,)
        )
    gates: Dict[str, bool] = {}
    for name, value in pairs:
        if not name:
            raise DualStackError("feature gates %r: an entry has an empty name" % (current,))
        gates[name] = parse_bool(name, value)
    return list(gates.items())


def render_feature_gates(gates: Gates) -> str:
    """Render as the flag value, lower-case booleans, order kept; empty string when empty."""
    return ",".join("%s=%s" % (name, "true" if value else "false") for name, value in gates)


def gate_action(version: Version) -> str:
    """What ``IPv6DualStack`` needs on a version (feature-gate page, k8s PR #106648).

    ``ensure``: 1.16-1.20, alpha and off by default, so it must be on.
    ``unlock``: 1.21-1.24, on by default (locked from 1.23): ``false`` is wrong or fatal.
    ``remove``: 1.25+, the gate is gone and naming it is fatal
    ("unrecognized feature gate: IPv6DualStack").
    """
    if at_least(version, GATE_REMOVED):
        return "remove"
    if at_least(version, GATE_DEFAULT_ON):
        return "unlock"
    return "ensure"


def feature_gates(current: Any, kube_version: Any) -> str:
    """Return the ``--feature-gates`` value for ``kube_version`` with ``IPv6DualStack`` as it must be."""
    version = parse_version(kube_version)
    require_dual_stack_version(version, kube_version)
    gates = parse_feature_gates(current)
    action = gate_action(version)
    if action == "remove":
        gates = [(name, value) for name, value in gates if name != GATE]
    elif any(name == GATE for name, dummy in gates):
        gates = [(name, True if name == GATE else value) for name, value in gates]
    elif action == "ensure":
        gates.append((GATE, True))
    return render_feature_gates(gates)


#: The components whose ``--feature-gates`` the roles write, per host.
GATED_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kubelet", "kube-proxy")


def gates_flag(current: Any, kube_version: Any) -> Dict[str, Any]:
    """The ``--feature-gates`` edit of one component that runs with ``current`` (its value, or empty).

    ``{}``: leave the flag as it is (absent and nothing needed). Otherwise ``{"feature-gates": value}``,
    value None when the flag must go (it named only ``IPv6DualStack``, on a release where the gate is gone).
    """
    now = "" if current is None else current
    new = feature_gates(now, kube_version)
    if (now == "" or now == {}) and new == "":
        return {}
    return {"feature-gates": new or None}


def host_gates(component_flags: Mapping[str, Mapping[str, Any]], kube_version: Any) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """Each host's ``--feature-gates`` edit per component, from the flags preflight read on it.

    ``component_flags``: host -> component -> that component's current flags (only the components that
    run there as a static Pod or a systemd unit; kubeadm's kube-proxy is a DaemonSet whose gates live in
    its ConfigMap, edited with the object). The roles write exactly these, so the printed plan is what
    is written.
    """
    out: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for host, components in sorted((component_flags or {}).items()):
        out[host] = {name: gates_flag((flags or {}).get("feature-gates", ""), kube_version)
                     for name, flags in sorted((components or {}).items()) if name in GATED_COMPONENTS}
    return out
