"""The verify role's leftover test namespace: absent, being deleted, ours to delete, or someone else's."""

from __future__ import annotations

import json

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.verify_namespace import leftover_namespace_action

LABELS = {"app.kubernetes.io/name": "dualstack-verify"}


def namespace(labels=None, deleting=False, phase="Active"):
    meta = {"name": "dualstack-verify", "labels": labels or {}}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-06T20:00:00Z"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta, "status": {"phase": phase}}


@pytest.mark.parametrize("read", ["", "\n", None, {}])
def test_nothing_read_is_absent(read):
    assert leftover_namespace_action(read, "dualstack-verify", LABELS) == "absent"


def test_an_interrupted_run_leaves_an_active_namespace_of_ours_to_delete():
    read = json.dumps(namespace(dict(LABELS, **{"kubernetes.io/metadata.name": "dualstack-verify"})))
    assert leftover_namespace_action(read, "dualstack-verify", LABELS) == "delete"


@pytest.mark.parametrize("obj", [namespace(deleting=True), namespace(phase="Terminating"),
                                 namespace(LABELS, deleting=True)])
def test_a_namespace_being_deleted_is_waited_for_whoever_owns_it(obj):
    assert leftover_namespace_action(json.dumps(obj), "dualstack-verify", LABELS) == "wait"


@pytest.mark.parametrize("labels", [{}, {"app.kubernetes.io/name": "shop"}])
def test_someone_elses_namespace_is_refused_naming_the_labels_and_the_fix(labels):
    with pytest.raises(DualStackError) as err:
        leftover_namespace_action(json.dumps(namespace(labels)), "dualstack-verify", LABELS)
    assert "namespace dualstack-verify exists but was not created by the verify role" in str(err.value)
    assert "app.kubernetes.io/name=dualstack-verify missing" in str(err.value)
    assert "set verify_namespace to a name that is not in use" in str(err.value)


def test_an_object_is_taken_as_read():
    assert leftover_namespace_action(namespace(LABELS), "dualstack-verify", LABELS) == "delete"


@pytest.mark.parametrize("read", ["Error from server (Forbidden)", json.dumps({"kind": "Pod", "metadata": {}})])
def test_what_is_not_a_namespace_is_an_error_quoting_it(read):
    with pytest.raises(DualStackError, match="namespace dualstack-verify: "):
        leftover_namespace_action(read, "dualstack-verify", LABELS)
