# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The verify role's test namespace left by an earlier run: what to do with it before a new run.

The role creates its namespace with its own labels and deletes it at the end. A run that stops in
between (a task error, Ctrl-C, a lost connection) leaves it Active, and nobody else will delete it;
a run stopped after its deletion began leaves it Terminating. Only a namespace that carries the
role's labels is deleted: one of the same name without them belongs to someone else and is refused,
by preflight (:func:`check_not_foreign`, before anything changes) and again by the verify role.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.kubectl_read import json_object

#: What :func:`leftover_namespace_action` answers.
ABSENT, WAIT, DELETE = "absent", "wait", "delete"
#: The labels the verify role puts on its namespace and objects (roles/verify/tasks/workloads.yml, verify_labels).
LABELS = {"app.kubernetes.io/name": "dualstack-verify"}


def leftover_namespace_action(read: Any, name: str, labels: Dict[str, str]) -> str:
    """Return ``absent`` (no such namespace), ``wait`` (already being deleted) or ``delete`` (a leftover of ours).

    ``read`` is ``kubectl get namespace <name> -o json --ignore-not-found``'s output (empty when absent) or
    the object. Raises when a namespace of that name exists without all of ``labels``.
    """
    text = read.strip() if isinstance(read, str) else read
    if not text:
        return ABSENT
    obj = json_object(text) if isinstance(text, str) else text
    if obj is None:
        raise DualStackError("namespace %s: could not read it (not a JSON object): %.200s" % (name, text))
    if not isinstance(obj, dict) or obj.get("kind", "Namespace") != "Namespace":
        raise DualStackError("namespace %s: expected a Namespace object, got %.200r" % (name, obj))
    meta = obj.get("metadata") or {}
    if meta.get("deletionTimestamp") or (obj.get("status") or {}).get("phase") == "Terminating":
        return WAIT
    have = meta.get("labels") or {}
    missing = {k: v for k, v in labels.items() if have.get(k) != v}
    if missing:
        raise DualStackError(
            "namespace %s exists but was not created by the verify role (labels %s missing), so it is not deleted: "
            "set verify_namespace to a name that is not in use, or delete that namespace yourself"
            % (name, ", ".join("%s=%s" % kv for kv in sorted(missing.items()))))
    return DELETE


def check_not_foreign(namespace: Optional[Mapping[str, Any]]) -> None:
    """Preflight's rule: the verify role's namespace is absent, being deleted or the role's own.

    ``namespace`` is ``{"name": <preflight_verify_namespace>, "read": <kubectl get namespace -o json
    --ignore-not-found output>}`` (nothing to check when None). Raises, naming the namespace, the missing labels and
    the fix, when a namespace of that name belongs to someone else: the verify role would refuse it after the
    conversion; preflight refuses it before anything changes.
    """
    if not namespace:
        return
    leftover_namespace_action(namespace.get("read"), str(namespace.get("name")), LABELS)
