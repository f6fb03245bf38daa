# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The records of Nodes being re-registered, kept in a kube-system ConfigMap."""

from __future__ import annotations

import json

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_record_store import (
    RECORDS_CONFIGMAP, forget_patch, nodes_to_visit, pending_record, record_key, record_patch)

RECORD = {"uid": "6f1c-22", "labels": {"team": "db"}, "unschedulable": True, "taints": []}


def configmap(*patches):
    data = {}
    for patch in patches:
        for key, value in patch["data"].items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": RECORDS_CONFIGMAP, "namespace": "kube-system"},
            "data": data}


def test_key_is_name_and_uid():
    assert record_key("dslab-w1", "6f1c-22") == "dslab-w1_6f1c-22"
    assert record_key("w1.example.com", "") == "w1.example.com_"


def test_patch_stores_the_record_dated_under_name_and_uid():
    patch = record_patch("dslab-w1", RECORD, "2026-12-05T01:02:03Z")
    assert list(patch["data"]) == ["dslab-w1_6f1c-22"]
    assert json.loads(patch["data"]["dslab-w1_6f1c-22"]) == {
        "node": "dslab-w1", "uid": "6f1c-22", "recorded": "2026-12-05T01:02:03Z", "record": RECORD}


def test_pending_record_round_trip_and_forget():
    cm = configmap(record_patch("dslab-w1", RECORD, "2026-12-05T01:02:03Z"),
                   record_patch("dslab-w10", dict(RECORD, uid="x"), "2026-12-05T01:02:04Z"))
    assert pending_record(cm, "dslab-w1") == RECORD
    assert pending_record(cm, "dslab-w2") == {}
    # A name that is a prefix of another is not confused with it.
    assert pending_record(cm, "dslab-w10")["uid"] == "x"
    assert forget_patch(cm, "dslab-w1") == {"data": {"dslab-w1_6f1c-22": None}}
    assert forget_patch(cm, "dslab-w2") is None
    # The key of a record written after the ConfigMap was read.
    assert forget_patch(cm, "dslab-w2", "u-2") == {"data": {"dslab-w2_u-2": None}}
    assert forget_patch({}, "dslab-w2", "") == {"data": {"dslab-w2_": None}}
    assert pending_record(configmap(), "dslab-w1") == {}
    assert pending_record({}, "dslab-w1") == {}
    assert pending_record(None, "dslab-w1") == {}


def test_newest_record_wins_and_all_are_forgotten():
    old = record_patch("w1", dict(RECORD, uid="old"), "2026-12-01T00:00:00Z")
    new = record_patch("w1", dict(RECORD, uid="new"), "2026-12-05T00:00:00Z")
    cm = configmap(new, old)
    assert pending_record(cm, "w1")["uid"] == "new"
    assert forget_patch(cm, "w1") == {"data": {"w1_new": None, "w1_old": None}}


def test_a_broken_record_is_named():
    cm = {"data": {"w1_u": "{not json"}}
    with pytest.raises(DualStackError, match="the record w1_u in ConfigMap kube-system/dualstack-kubernetes-node-records"):
        pending_record(cm, "w1")


def test_nodes_to_visit_skips_converted_nodes_unless_a_record_is_left():
    records = {"data": {"w2_0b5c-uid": "{}"}}
    assert nodes_to_visit(["w1", "w2", "w3", "cp1"], ["w1", "w2", "cp1"], records) == ["w2", "w3"]
    assert nodes_to_visit(["w1", "cp1"], ["w1", "cp1"], {}) == []
    assert nodes_to_visit(["w1", "cp1"], [], "") == ["w1", "cp1"]          # no plan key (rollback): every node
