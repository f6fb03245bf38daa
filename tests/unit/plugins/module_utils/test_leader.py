# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""plugins/module_utils/leader.py: the controller-manager that holds the Lease, and whether node IPAM starts."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.leader import (
    holder_host,
    leader_state,
    node_ipam_expected,
)

HOSTS = ["cp1", "cp2", "cp3"]


def lease(identity="cp2_3f2a-11", acquired="2026-12-05T04:50:07.448415Z", renewed="2026-12-05T04:50:30.000001Z"):
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "kube-controller-manager", "namespace": "kube-system"},
            "spec": {"holderIdentity": identity, "leaseDurationSeconds": 15, "acquireTime": acquired,
                     "renewTime": renewed, "leaseTransitions": 3}}


def test_a_leader_that_held_a_full_duration_and_is_alive_is_settled():
    state = leader_state(lease(), HOSTS, "2026-12-05T04:50:32+00:00")
    assert state["host"] == "cp2" and state["alive"] and state["settled"]
    assert state["held"] == pytest.approx(22.55, abs=0.01) and state["duration"] == 15


@pytest.mark.parametrize("kwargs, now, words", [
    ({"renewed": "2026-12-05T04:50:12.000001Z"}, "2026-12-05T04:50:13+00:00", "has held the Lease for 5 s of 15"),
    ({}, "2026-12-05T04:51:01+00:00", "cp2_3f2a-11 last renewed the Lease at 2026-12-05T04:50:30.000001Z: not alive"),
    ({"identity": "other-host_99"}, "2026-12-05T04:50:32+00:00", "whose host other-host is not in kube_control_plane"),
    ({"identity": ""}, "2026-12-05T04:50:32+00:00", "no kube-controller-manager holds the Lease"),
])
def test_unsettled_leaders_say_why(kwargs, now, words):
    state = leader_state(lease(**kwargs), HOSTS, now)
    assert not state["settled"] and words in state["message"]


def test_holder_host_of_identities():
    assert holder_host("dslab-cp1_f31223b9-9f51-4a0f-b018-9fe5c08a2944") == "dslab-cp1"
    assert holder_host("node_with_underscore_5") == "node_with_underscore"
    assert holder_host("plain") == "plain"


@pytest.mark.parametrize("flags, expected", [
    ({"allocate-node-cidrs": "true"}, True),
    ({"allocate-node-cidrs": "true", "controllers": "*,bootstrapsigner,tokencleaner"}, True),
    ({"allocate-node-cidrs": "true", "controllers": "*,-nodeipam"}, False),
    ({"allocate-node-cidrs": "true", "controllers": "bootstrapsigner"}, False),
    ({"allocate-node-cidrs": "false"}, False),
    ({}, False),
])
def test_node_ipam_expected(flags, expected):
    assert node_ipam_expected(flags) is expected


def test_now_without_a_zone_is_utc():
    """Ansible's now(utc=true).isoformat() has no zone."""
    assert leader_state(lease(), HOSTS, "2026-12-05T04:50:32.123456")["settled"]


def test_the_previous_process_lease_is_not_settled():
    # cp2's controller-manager restarted at 04:50:31 (its edit); the Lease still shows the old process's acquisition.
    restarted = {"cp2": "2026-12-05T04:50:31.250000Z"}
    state = leader_state(lease(), HOSTS, "2026-12-05T04:50:32+00:00", restarted)
    assert not state["settled"] and "before the controller-manager now running on cp2 started" in state["message"]
    # The new process acquired it after its start and held it a full duration.
    new = lease(identity="cp2_77ab-01", acquired="2026-12-05T04:50:48.100000Z", renewed="2026-12-05T04:51:05.000000Z")
    assert leader_state(new, HOSTS, "2026-12-05T04:51:06+00:00", restarted)["settled"]
    # Another host's start says nothing about this holder.
    assert leader_state(lease(), HOSTS, "2026-12-05T04:50:32+00:00", {"cp1": "2026-12-05T04:50:31Z"})["settled"]
