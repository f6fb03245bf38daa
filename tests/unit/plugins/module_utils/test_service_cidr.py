# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""plugins/module_utils/service_cidr.py: the default ServiceCIDR against the plan, and its warning events."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.service_cidr import (
    default_service_cidr_check,
    event_time,
    warnings_since,
)

DUAL = ["10.96.0.0/16", "fd00:10:96::/112"]


def scidr(cidrs, ready="True"):
    obj = {"apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR", "metadata": {"name": "kubernetes"},
           "spec": {"cidrs": cidrs}}
    if ready is not None:
        obj["status"] = {"conditions": [{"type": "Ready", "status": ready, "reason": "" if ready == "True" else "Broken",
                                         "message": "Kubernetes default Service CIDR is ready"}]}
    return obj


def event(reason, last, message="m", **extra):
    return dict({"reason": reason, "type": "Warning", "message": message, "lastTimestamp": last,
                 "metadata": {"creationTimestamp": last}}, **extra)


ERROR = event("KubernetesDefaultServiceCIDRError", "2026-12-05T21:10:05Z",
              "The default ServiceCIDR can not be upgraded from 10.96.0.0/16 to dual stack [...]: forbidden")
INCONSISTENT = event("KubernetesDefaultServiceCIDRInconsistent", "2026-12-05T21:10:30Z",
                     "The default ServiceCIDR [10.96.0.0/16 fd00:10:96::/112] does not match the controller flag configurations")


def test_ready_when_it_lists_the_plans_ranges_and_is_ready():
    result = default_service_cidr_check(scidr(DUAL), DUAL)
    assert result == {"ready": True, "message": "ServiceCIDR kubernetes lists 10.96.0.0/16, fd00:10:96::/112 and is Ready",
                      "problems": []}


@pytest.mark.parametrize("obj, words", [
    ({}, "does not exist"),
    (None, "does not exist"),
    (scidr(DUAL[:1]), "lists 10.96.0.0/16, the plan 10.96.0.0/16, fd00:10:96::/112"),
    (scidr(DUAL, ready=None), "is not Ready (no Ready condition)"),
    (scidr(DUAL, ready="False"), "is not Ready (Broken: Kubernetes default Service CIDR is ready)"),
])
def test_not_ready_says_where_it_stands(obj, words):
    result = default_service_cidr_check(obj, DUAL)
    assert result["ready"] is False and words in result["message"]


def test_errors_since_the_run_and_inconsistencies_since_the_last_apiserver():
    events = {"kind": "List", "items": [ERROR, INCONSISTENT]}
    # The error came during the run; the inconsistency from an apiserver restarted later than it.
    result = default_service_cidr_check(scidr(DUAL), DUAL, events, started="2026-12-05T21:00:00Z", settled="2026-12-05T21:11:00Z")
    assert result["ready"] is True and result["problems"] == [
        "2026-12-05T21:10:05Z KubernetesDefaultServiceCIDRError: The default ServiceCIDR can not be upgraded from "
        "10.96.0.0/16 to dual stack [...]: forbidden"]
    # Both older than the run: nothing.
    assert default_service_cidr_check(scidr(DUAL), DUAL, events, "2026-12-05T22:00:00Z", "2026-12-05T22:00:00Z")["problems"] == []
    # An inconsistency after the last apiserver came back is a problem.
    late = default_service_cidr_check(scidr(DUAL), DUAL, [INCONSISTENT], "2026-12-05T21:00:00Z", "2026-12-05T21:10:00Z")
    assert late["problems"][0].startswith("2026-12-05T21:10:30Z KubernetesDefaultServiceCIDRInconsistent: ")


def test_event_times():
    assert event_time({"eventTime": "2026-12-05T21:10:30.123456Z", "lastTimestamp": None}).isoformat() == \
        "2026-12-05T21:10:30.123456+00:00"
    assert event_time({"series": {"lastObservedTime": "2026-12-05T21:12:00Z"}, "lastTimestamp": "2026-12-05T21:10:00Z"}) \
        .strftime("%H:%M") == "21:12"
    assert event_time({"lastTimestamp": "garbage"}) is None
    # Without a time it counts only when no start is given.
    assert warnings_since([{"reason": "KubernetesDefaultServiceCIDRError"}], "KubernetesDefaultServiceCIDRError", "") != []
    assert warnings_since([{"reason": "KubernetesDefaultServiceCIDRError"}], "KubernetesDefaultServiceCIDRError",
                          "2026-12-05T21:00:00") == []


def test_an_update_another_apiserver_won_is_no_problem_once_the_object_is_right():
    # Seen on the HA lab (v1.37.2, 2026-12-06): cp1 and cp2 both tried the single- to dual-stack update.
    conflict = event("KubernetesDefaultServiceCIDRError", "2026-12-05T21:10:05Z",
                     "The default ServiceCIDR can not be upgraded from 10.96.0.0/16 to dual stack [10.96.0.0/16 "
                     "fd00:10:96::/112] : Operation cannot be fulfilled on servicecidrs.networking.k8s.io \"kubernetes\": "
                     "the object has been modified; please apply your changes to the latest version and try again")
    events = [conflict, ERROR]
    right = default_service_cidr_check(scidr(DUAL), DUAL, events, started="2026-12-05T21:00:00Z")
    assert right["ready"] is True and right["problems"] == [
        "2026-12-05T21:10:05Z KubernetesDefaultServiceCIDRError: The default ServiceCIDR can not be upgraded from "
        "10.96.0.0/16 to dual stack [...]: forbidden"]
    # Not right (still single-stack): the conflict counts too.
    wrong = default_service_cidr_check(scidr(DUAL[:1]), DUAL, [conflict], started="2026-12-05T21:00:00Z")
    assert wrong["ready"] is False and len(wrong["problems"]) == 1 and "the object has been modified" in wrong["problems"][0]
