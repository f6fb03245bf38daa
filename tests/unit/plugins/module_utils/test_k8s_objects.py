# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""plugins/module_utils/k8s_objects.py: what is compared, RFC 7386 merge patches, kubectl's rollout conditions."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.k8s_objects import (
    comparable,
    differs,
    merge_patch,
    object_ref,
    rollout_state,
    single_object,
)


def test_server_fields_are_not_compared():
    a = {"kind": "ConfigMap", "metadata": {"name": "x", "resourceVersion": "1", "uid": "u", "managedFields": [1],
                                           "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
         "data": {"k": "v"}, "status": {}}
    b = {"kind": "ConfigMap", "metadata": {"name": "x", "resourceVersion": "2", "generation": 3}, "data": {"k": "v"}}
    assert comparable(a) == comparable(b) == {"kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"k": "v"}}
    assert not differs(a, b)
    assert differs(a, dict(b, data={"k": "w"}))
    assert differs(None, b)


# RFC 7386, appendix A (a selection).
@pytest.mark.parametrize("target, patch, result", [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_merge_patch_rfc7386(target, patch, result):
    before = repr(target)
    assert merge_patch(target, patch) == result
    assert repr(target) == before


def test_object_ref_and_its_errors():
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "n", "labels": {"a": "b"}}, "data": {}}
    assert object_ref(obj) == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "n"}}
    with pytest.raises(ValueError, match="apiVersion, kind and metadata.name"):
        object_ref({"kind": "ConfigMap", "metadata": {"name": "x"}})


def _deploy(replicas=2, generation=1, observed=1, total=2, updated=2, available=2, conditions=()):
    return {"kind": "Deployment", "metadata": {"name": "web", "namespace": "d", "generation": generation},
            "spec": {"replicas": replicas},
            "status": {"observedGeneration": observed, "replicas": total, "updatedReplicas": updated,
                       "availableReplicas": available, "conditions": list(conditions)}}


@pytest.mark.parametrize("obj, done, message", [
    (_deploy(generation=2), False, "waiting for the Deployment spec update to be observed"),
    (_deploy(updated=1), False, "1 out of 2 new replicas have been updated"),
    (_deploy(total=3), False, "1 old replicas are pending termination"),
    (_deploy(available=1), False, "1 of 2 updated replicas are available"),
    (_deploy(), True, "Deployment d/web rolled out"),
])
def test_deployment_rollout_conditions(obj, done, message):
    assert rollout_state(obj) == (done, message)


def test_deployment_past_its_deadline_and_other_kinds_are_errors():
    with pytest.raises(ValueError, match="exceeded its progress deadline"):
        rollout_state(_deploy(conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]))
    with pytest.raises(ValueError, match="only DaemonSet and Deployment"):
        rollout_state({"kind": "StatefulSet"})


def test_single_object_of_kubectl_get_from_a_file():
    cm = {"kind": "ConfigMap", "metadata": {"name": "x"}}
    assert single_object({"apiVersion": "v1", "kind": "List", "items": [cm]}) == cm
    assert single_object({"apiVersion": "v1", "kind": "List", "items": []}) is None
    assert single_object(cm) == cm
    with pytest.raises(ValueError, match="expected one object, kubectl returned 2"):
        single_object({"kind": "List", "items": [cm, cm]})
