# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The control_plane role's load-balancer hooks, checked in preflight before anything changes.

``control_plane_rotation_out`` takes a control plane's kube-apiserver out of the load balancer's rotation
before its restart, ``control_plane_rotation_in`` puts it back once it is healthy (see the role's
argument_specs). Each is a mapping: ``argv`` (the command, a list of strings), ``stdin`` (optional text),
``host`` (where it runs, default localhost) and ``drain_seconds`` (out) or ``settle_seconds`` (in). The role
runs them with ``ansible.builtin.command``, so a shape it cannot run would fail at the first apiserver; an
``out`` without an ``in`` would leave every converted apiserver out of the rotation. Both are refused here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: The keys each hook takes, and the variable that holds it.
HOOK_KEYS: Dict[str, tuple] = {
    "out": ("argv", "stdin", "host", "drain_seconds"),
    "in": ("argv", "stdin", "host", "settle_seconds"),
}
HOOK_VARIABLES = {"out": "control_plane_rotation_out", "in": "control_plane_rotation_in"}


def _seconds(value: Any) -> bool:
    """A whole number of seconds, 0 or more (an int, or its digits as a templated value gives them)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and value.strip().isdigit()


def is_unset(hook: Any) -> bool:
    """No hook: the variable undefined (None), empty text or an empty mapping (the role then runs none)."""
    return hook is None or hook == "" or hook == {}


def hook_problems(direction: str, hook: Any) -> List[str]:
    """What is wrong with one hook (``direction`` ``out`` or ``in``); empty when it can run or is unset."""
    if is_unset(hook):
        return []
    if not isinstance(hook, Mapping):
        return ["is %s, not a mapping of %s" % (type(hook).__name__, ", ".join(HOOK_KEYS[direction]))]
    problems = []
    unknown = sorted(str(k) for k in hook if k not in HOOK_KEYS[direction])
    if unknown:
        problems.append("has unknown key(s) %s (it takes %s)" % (", ".join(unknown), ", ".join(HOOK_KEYS[direction])))
    argv = hook.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) and a for a in argv):
        problems.append("argv %r is not a non-empty list of non-empty strings (the command and its arguments, "
                        "run without a shell)" % (argv,))
    if "stdin" in hook and not isinstance(hook["stdin"], str):
        problems.append("stdin %r is not text" % (hook["stdin"],))
    if "host" in hook and not (isinstance(hook["host"], str) and hook["host"].strip()):
        problems.append("host %r is not a host name (the inventory host or localhost the command runs on)" % (hook["host"],))
    for key in ("drain_seconds", "settle_seconds"):
        if key in hook and not _seconds(hook[key]):
            problems.append("%s %r is not a whole number of seconds, 0 or more" % (key, hook[key]))
    return problems


def check_rotation_hooks(rotation_out: Mapping[str, Any], rotation_in: Mapping[str, Any]) -> None:
    """Refuse hooks the control_plane role could not run (per control-plane host: host -> hook).

    Raises one :class:`DualStackError` naming every problem, each with its host, variable and the fix.
    """
    problems = []
    for host in sorted(set(rotation_out or {}) | set(rotation_in or {})):
        hooks = {"out": (rotation_out or {}).get(host), "in": (rotation_in or {}).get(host)}
        for direction in ("out", "in"):
            for problem in hook_problems(direction, hooks[direction]):
                problems.append("%s on %s %s" % (HOOK_VARIABLES[direction], host, problem))
        if not is_unset(hooks["out"]) and is_unset(hooks["in"]):
            problems.append("%s on %s is set but %s is not: every kube-apiserver taken out of the load balancer's "
                            "rotation would stay out; set both, or neither to rely on the load balancer's health "
                            "check" % (HOOK_VARIABLES["out"], host, HOOK_VARIABLES["in"]))
    if problems:
        raise DualStackError("load-balancer hooks: %s" % "; ".join(problems))
