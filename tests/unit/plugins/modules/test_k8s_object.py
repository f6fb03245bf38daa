# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The k8s_object and k8s_rollout modules (modules/k8s_object.py, k8s_rollout.py) against the kubectl stand-in of
the role tests (module_utils/fixtures/cni/fake_kubectl.py): what they run, when they write, check and diff mode,
conflicts. The roles' use of them runs on the lab."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.dualstack.kubernetes.plugins.modules import k8s_object, k8s_rollout

FAKE = Path(__file__).resolve().parents[1] / "module_utils" / "fixtures" / "cni" / "fake_kubectl.py"
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-flannel-cfg", "namespace": "kube-flannel"},
      "data": {"net-conf.json": '{"Network": "10.244.0.0/16"}'}}


@pytest.fixture
def state(tmp_path, monkeypatch):
    path = tmp_path / "kube.json"
    path.write_text(json.dumps({"objects": [], "log": []}))
    monkeypatch.setenv("FAKE_KUBE_STATE", str(path))
    return path


def load(state):
    return json.loads(state.read_text())


def save(state, data):
    state.write_text(json.dumps(data))


def store(state, obj, version="7"):
    obj = json.loads(json.dumps(obj))
    obj["metadata"].update(resourceVersion=version, uid="u-1", creationTimestamp="2026-12-05T00:00:00Z",
                           managedFields=[{"manager": "kubectl"}])
    data = load(state)
    data["objects"] = [o for o in data["objects"] if o["metadata"]["name"] != obj["metadata"]["name"]] + [obj]
    save(state, data)
    return obj


def verbs(state):
    return load(state).get("calls", [])


def sequence(state, obj_key, states):
    data = load(state)
    data["sequence"] = {obj_key: states}
    save(state, data)


def run(capsys, module, check=False, diff=False, **args):
    args = dict(args, kubectl="%s %s" % (sys.executable, FAKE), _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


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


def _ds(generation, observed, desired, updated, available, strategy="RollingUpdate"):
    meta = {"name": "kube-flannel-ds", "namespace": "kube-flannel", "generation": generation}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
            "spec": {"updateStrategy": {"type": strategy}},
            "status": {"observedGeneration": observed, "desiredNumberScheduled": desired,
                       "updatedNumberScheduled": updated, "numberAvailable": available}}


def test_rollout_waits_until_every_pod_is_updated_and_available(capsys, state):
    seq = [_ds(2, 1, 3, 3, 3), _ds(2, 2, 3, 1, 3), _ds(2, 2, 3, 3, 2), _ds(2, 2, 3, 3, 3)]
    sequence(state, "DaemonSet/kube-flannel/kube-flannel-ds", seq)
    result = run(capsys, k8s_rollout, kind="DaemonSet", name="kube-flannel-ds", namespace="kube-flannel", delay=0, timeout=30)
    assert result["changed"] is False and result["complete"] is True
    assert result["message"] == "DaemonSet kube-flannel/kube-flannel-ds rolled out"
    assert verbs(state) == ["get"] * 4


def test_rollout_times_out_with_the_last_state(capsys, state):
    sequence(state, "DaemonSet/kube-flannel/kube-flannel-ds", [_ds(2, 2, 3, 1, 1)])
    result = run(capsys, k8s_rollout, kind="DaemonSet", name="kube-flannel-ds", namespace="kube-flannel", delay=0, timeout=0)
    assert result["failed"] is True
    assert result["msg"] == ("DaemonSet kube-flannel/kube-flannel-ds did not roll out within 0 s: "
                             "1 out of 3 new pods have been updated")
    # A check that reports instead of failing (the verify role's).
    result = run(capsys, k8s_rollout, kind="DaemonSet", name="kube-flannel-ds", namespace="kube-flannel", delay=0, timeout=0,
                 fail_on_timeout=False)
    assert "failed" not in result and result["complete"] is False and result["message"] == "1 out of 3 new pods have been updated"


def test_rollout_refuses_on_delete_at_once(capsys, state):
    sequence(state, "DaemonSet/kube-flannel/kube-flannel-ds", [_ds(2, 2, 3, 0, 3, "OnDelete")])
    result = run(capsys, k8s_rollout, kind="DaemonSet", name="kube-flannel-ds", namespace="kube-flannel", delay=0, timeout=30)
    assert result["failed"] is True and "updateStrategy OnDelete" in result["msg"]
