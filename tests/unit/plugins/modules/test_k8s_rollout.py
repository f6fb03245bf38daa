# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The k8s_rollout module (modules/k8s_rollout.py) against the kubectl stand-in of the role tests: it waits while the
rollout advances, fails when it stalls for stall_timeout seconds (on a clock these tests move), refuses OnDelete."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.modules import k8s_rollout

from .kubectl_stand_in import run, sequence, verbs

KEY = "DaemonSet/kube-flannel/kube-flannel-ds"
FLANNEL = {"kind": "DaemonSet", "name": "kube-flannel-ds", "namespace": "kube-flannel"}


def _ds(generation, observed, desired, updated, available, strategy="RollingUpdate"):
    meta = {"name": "kube-flannel-ds", "namespace": "kube-flannel", "generation": generation}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
            "spec": {"updateStrategy": {"type": strategy}},
            "status": {"observedGeneration": observed, "desiredNumberScheduled": desired,
                       "updatedNumberScheduled": updated, "numberAvailable": available}}


class Clock:
    """time for the module: each sleep moves it by the seconds slept, each kubectl read by ``read`` seconds."""

    def __init__(self, read=0.0):
        self.now, self.read = 1000.0, read

    def monotonic(self):
        self.now += self.read / 2
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(k8s_rollout, "time", fake)
    return fake


def test_rollout_waits_until_every_pod_is_updated_and_available(capsys, state, clock):
    seq = [_ds(2, 1, 3, 3, 3), _ds(2, 2, 3, 1, 3), _ds(2, 2, 3, 3, 2), _ds(2, 2, 3, 3, 3)]
    sequence(state, KEY, seq)
    result = run(capsys, k8s_rollout, delay=0, stall_timeout=30, **FLANNEL)
    assert result["changed"] is False and result["complete"] is True
    assert result["message"] == "DaemonSet kube-flannel/kube-flannel-ds rolled out"
    assert verbs(state) == ["get"] * 4


def test_a_long_rollout_that_advances_is_waited_for_past_any_total(capsys, state, clock):
    # 300 pods, one more updated every 10 s: 3000 s in all, with a stall timeout of 60 s.
    seq = []
    for updated in range(301):
        seq += [_ds(2, 2, 300, updated, 299), _ds(2, 2, 300, updated, 300 if updated == 300 else 299)]
    sequence(state, KEY, seq)
    result = run(capsys, k8s_rollout, delay=5, stall_timeout=60, **FLANNEL)
    assert result["complete"] is True and result["seconds"] >= 3000


def test_a_stalled_rollout_fails_after_the_stall_timeout_with_the_last_state(capsys, state, clock):
    # Two pods updated, then the third never becomes updated; available going down and up is not progress.
    seq = [_ds(2, 2, 3, 1, 3), _ds(2, 2, 3, 2, 2)] + [_ds(2, 2, 3, 2, 3), _ds(2, 2, 3, 2, 2)] * 40
    sequence(state, KEY, seq)
    result = run(capsys, k8s_rollout, delay=2, stall_timeout=30, **FLANNEL)
    assert result["failed"] is True and result["stalled"] is True
    # Progress at the second read (t=2 s) and once more when availability came back (t=4 s), none after.
    assert result["msg"] == ("DaemonSet kube-flannel/kube-flannel-ds made no progress for 30 s (34 s in all): "
                             "2 out of 3 new pods have been updated")
    assert result["seconds"] == 34


def test_a_report_instead_of_a_failure(capsys, state, clock):
    # The verify role's check: it reports the last state and goes on.
    sequence(state, KEY, [_ds(2, 2, 3, 1, 1)])
    result = run(capsys, k8s_rollout, delay=1, stall_timeout=5, fail_on_timeout=False, **FLANNEL)
    assert "failed" not in result and result["complete"] is False and result["stalled"] is True
    assert result["message"] == "1 out of 3 new pods have been updated" and result["seconds"] == 5


def test_a_total_timeout_caps_an_advancing_rollout(capsys, state, clock):
    sequence(state, KEY, [_ds(2, 2, 100, updated, 99) for updated in range(100)])
    result = run(capsys, k8s_rollout, delay=1, stall_timeout=60, timeout=10, **FLANNEL)
    assert result["failed"] is True and result["stalled"] is False
    assert result["msg"] == ("DaemonSet kube-flannel/kube-flannel-ds did not roll out within 10 s: "
                             "10 out of 100 new pods have been updated")


def test_unreadable_object_counts_no_progress(capsys, state, clock):
    # Nothing stored: every read fails, the stall timeout ends the wait with kubectl's error.
    result = run(capsys, k8s_rollout, delay=3, stall_timeout=9, **FLANNEL)
    assert result["failed"] is True and result["stalled"] is True and "NotFound" in result["message"]


def test_rollout_refuses_on_delete_at_once(capsys, state, clock):
    sequence(state, KEY, [_ds(2, 2, 3, 0, 3, "OnDelete")])
    result = run(capsys, k8s_rollout, delay=0, stall_timeout=30, **FLANNEL)
    assert result["failed"] is True and "updateStrategy OnDelete" in result["msg"]


def test_a_read_without_json_is_retried_not_a_verdict(capsys, state, clock, monkeypatch):
    # Seen on a busy single-CPU control plane: kubectl exited 0 and printed nothing; the next read was whole.
    sequence(state, KEY, [_ds(1, 1, 3, 3, 3)])
    real = k8s_rollout.AnsibleModule.run_command
    calls = []

    def cut_once(self, argv, *args, **kwargs):
        calls.append(argv)
        return (0, "", "") if len(calls) == 1 else real(self, argv, *args, **kwargs)

    monkeypatch.setattr(k8s_rollout.AnsibleModule, "run_command", cut_once)
    result = run(capsys, k8s_rollout, delay=3, stall_timeout=60, **FLANNEL)
    assert result.get("failed") is not True and result["complete"] is True and len(calls) == 2
