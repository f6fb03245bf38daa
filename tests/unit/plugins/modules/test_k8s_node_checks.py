# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The k8s_node_checks module (modules/k8s_node_checks.py) against the kubectl stand-in: it reads every Node page after
page with `kubectl get --raw`, returns only rows and results, and names what failed."""

from __future__ import annotations

from ansible_collections.dualstack.kubernetes.plugins.modules import k8s_node_checks

from .kubectl_stand_in import run, store, verbs


def _node(name, ips, cidrs):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": {"podCIDR": cidrs[0] if cidrs else "", "podCIDRs": cidrs} if cidrs else {},
            "status": {"addresses": [{"type": "InternalIP", "address": ip} for ip in ips]
                       + [{"type": "Hostname", "address": name}]}}


def _cluster(state, count, broken=()):
    for i in range(count):
        name = "n%02d" % i
        if name in broken:
            store(state, _node(name, ["10.0.0.%d" % i], ["10.244.%d.0/24" % i]))
        else:
            store(state, _node(name, ["10.0.0.%d" % i, "fd00::%x" % (i + 1)], ["10.244.%d.0/24" % i, "fd00:10:244:%x::/64" % i]))


def test_every_node_of_every_page_is_checked(capsys, state):
    _cluster(state, 7)
    out = run(capsys, k8s_node_checks, families=["IPv4", "IPv6"], page_size=3)
    assert out["changed"] is False and out["failed_checks"] == 0
    assert [r["name"] for r in out["rows"]] == ["n%02d" % i for i in range(7)]
    assert len(out["results"]) == 14 and all(r["ok"] for r in out["results"])
    assert out["rows"][2] == {"name": "n02", "internal_ips": ["10.0.0.2", "fd00::3"],
                              "pod_cidrs": ["10.244.2.0/24", "fd00:10:244:2::/64"]}
    assert verbs(state) == ["get", "get", "get"]          # pages of 3, 3 and 1: three requests


def test_a_node_without_ipv6_fails_its_checks_by_name(capsys, state):
    _cluster(state, 3, broken=("n01",))
    out = run(capsys, k8s_node_checks, families=["IPv4", "IPv6"])
    assert out["failed_checks"] == 2
    failed = [r["check"] for r in out["results"] if not r["ok"]]
    assert failed == ["node n01: one InternalIP per family", "node n01: one podCIDR per family, primary first"]
    assert verbs(state) == ["get"]


def test_api_only_nodes_and_no_pod_cidrs(capsys, state):
    _cluster(state, 2, broken=("n01",))
    out = run(capsys, k8s_node_checks, families=["IPv4", "IPv6"], api_only=["n01"], pod_cidrs=False)
    assert out["failed_checks"] == 0 and len(out["results"]) == 2
    assert "outside the inventory" in out["results"][1]["detail"]


def test_check_mode_reads_the_same(capsys, state):
    _cluster(state, 2)
    out = run(capsys, k8s_node_checks, check=True, families=["IPv4", "IPv6"])
    assert out["failed_checks"] == 0 and len(out["rows"]) == 2


def test_a_bad_page_size_is_refused_before_any_read(capsys, state):
    out = run(capsys, k8s_node_checks, families=["IPv4"], page_size=0)
    assert out["failed"] and "page_size 0" in out["msg"]
    assert verbs(state) == []


def test_an_api_error_names_the_request(capsys, state, monkeypatch):
    monkeypatch.setenv("FAKE_KUBE_STATE", str(state) + ".missing")
    out = run(capsys, k8s_node_checks, families=["IPv4"])
    assert out["failed"] and out["msg"].startswith("kubectl get --raw /api/v1/nodes?limit=1000")
