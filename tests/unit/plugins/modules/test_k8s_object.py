# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The k8s_object module (modules/k8s_object.py) against the kubectl stand-in of the role tests
(module_utils/fixtures/cni/fake_kubectl.py): what it runs, when it writes, check and diff mode, conflicts.
The roles' use of it runs on the lab."""

from __future__ import annotations

import json

from ansible_collections.dualstack.kubernetes.plugins.modules import k8s_object
from .kubectl_stand_in import load, run, save, store, verbs

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-flannel-cfg", "namespace": "kube-flannel"},
      "data": {"net-conf.json": '{"Network": "10.244.0.0/16"}'}}


def test_an_unchanged_object_is_not_written(capsys, state):
    read = store(state, CM)
    # As read, with only the server's fields different (another resourceVersion, status): no write.
    same = dict(read, status={"x": 1})
    result = run(capsys, k8s_object, definition=same)
    assert result["changed"] is False and result["operation"] == "none"
    assert verbs(state) == ["get"]


def test_a_changed_object_is_replaced_with_its_resource_version(capsys, state):
    read = store(state, CM)
    new = json.loads(json.dumps(read))
    new["data"]["net-conf.json"] = '{"Network": "10.244.0.0/16", "EnableIPv6": true}'
    result = run(capsys, k8s_object, diff=True, definition=new)
    assert result["changed"] is True and result["operation"] == "replace"
    assert verbs(state) == ["get", "replace"]
    assert result["object"]["metadata"]["resourceVersion"] == "8" and load(state)["log"] == [
        ["replace", "ConfigMap", "kube-flannel", "kube-flannel-cfg"]]
    assert result["diff"]["before"]["data"] == CM["data"] and "resourceVersion" not in result["diff"]["after"]["metadata"]


def test_check_mode_reports_and_writes_nothing(capsys, state):
    read = store(state, CM)
    new = dict(read, data={"net-conf.json": "{}"})
    result = run(capsys, k8s_object, check=True, definition=new)
    assert result["changed"] is True and result["object"]["data"] == {"net-conf.json": "{}"}
    assert verbs(state) == ["get"]


def test_a_concurrent_change_fails_instead_of_being_lost(capsys, state):
    read = store(state, CM, version="7")
    store(state, dict(CM, data={"net-conf.json": "changed by someone"}), version="9")
    new = dict(read, data={"net-conf.json": "ours"})
    result = run(capsys, k8s_object, definition=new)
    assert result["failed"] is True and "Conflict" in result["msg"] and result["msg"].startswith("replace -f failed")


def test_a_merge_patch_on_the_object_as_read(capsys, state):
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
          "spec": {"template": {"metadata": {"annotations": {"old": "1", "keep": "2"}}}}}
    store(state, ds)
    patch = {"spec": {"template": {"metadata": {"annotations": {"old": None, "new": "3"}}}}}
    result = run(capsys, k8s_object, ref={"apiVersion": "apps/v1", "kind": "DaemonSet",
                                          "metadata": {"name": "kube-proxy", "namespace": "kube-system"}}, merge_patch=patch)
    assert result["changed"] is True
    assert result["object"]["spec"]["template"]["metadata"]["annotations"] == {"keep": "2", "new": "3"}
    # The same patch again changes nothing.
    assert run(capsys, k8s_object, ref=ds, merge_patch=patch)["changed"] is False


def test_a_missing_object_is_created_or_refused(capsys, state):
    result = run(capsys, k8s_object, definition=CM)
    assert result["changed"] is True and result["operation"] == "create" and verbs(state) == ["get", "create"]
    save(state, {"objects": [], "log": []})
    result = run(capsys, k8s_object, definition=CM, missing="fail")
    assert result["failed"] is True and result["msg"] == "ConfigMap kube-flannel/kube-flannel-cfg does not exist"
    result = run(capsys, k8s_object, ref=CM, merge_patch={"data": {"a": "b"}})
    assert result["failed"] is True and "does not exist" in result["msg"]


def test_an_object_without_a_name_is_refused(capsys, state):
    result = run(capsys, k8s_object, definition={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    assert result["failed"] is True and "metadata.name" in result["msg"]
