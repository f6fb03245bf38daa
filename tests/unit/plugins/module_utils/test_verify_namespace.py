"""The verify role's leftover test namespace: absent, being deleted, ours to delete, or someone else's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.verify_namespace import LABELS as VERIFY_LABELS
from ansible_collections.dualstack.kubernetes.plugins.module_utils.verify_namespace import (
    check_not_foreign, leftover_namespace_action)

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


def test_preflight_refuses_someone_elses_namespace_before_anything_changes():
    with pytest.raises(DualStackError, match="namespace dualstack-verify exists but was not created by the verify role"):
        check_not_foreign({"name": "dualstack-verify", "read": json.dumps(namespace())})


@pytest.mark.parametrize("namespace_read", [None, {}, {"name": "dualstack-verify", "read": ""},
                                            {"name": "dualstack-verify", "read": json.dumps(namespace(LABELS))},
                                            {"name": "dualstack-verify", "read": namespace(deleting=True)}])
def test_preflight_lets_an_absent_a_leftover_or_a_terminating_namespace_through(namespace_read):
    assert check_not_foreign(namespace_read) is None


def test_the_labels_are_the_ones_the_verify_role_puts_on_its_namespace():
    workloads = Path(__file__).resolve().parents[4] / "roles" / "verify" / "tasks" / "workloads.yml"
    described = yaml.safe_load(workloads.read_text())[0]["ansible.builtin.set_fact"]
    assert described["verify_labels"] == LABELS == VERIFY_LABELS


def test_preflight_and_verify_default_to_the_same_namespace():
    roles = Path(__file__).resolve().parents[4] / "roles"
    verify = yaml.safe_load((roles / "verify" / "defaults" / "main.yml").read_text())["verify_namespace"]
    preflight = yaml.safe_load((roles / "preflight" / "defaults" / "main.yml").read_text())["preflight_verify_namespace"]
    assert preflight == "{{ verify_namespace | default('%s') }}" % verify
