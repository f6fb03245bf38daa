# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""plugins/module_utils/rollout_progress.py: what counts as a rollout's progress, and when it has stalled."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.rollout_progress import ProgressWatch, progress_counts


def ds(updated, available, observed=2, generation=2):
    return {"kind": "DaemonSet", "metadata": {"generation": generation},
            "status": {"observedGeneration": observed, "desiredNumberScheduled": 5,
                       "updatedNumberScheduled": updated, "numberAvailable": available}}


def test_counts_of_each_kind():
    assert progress_counts(ds(3, 4)) == (1, 3, 4)
    assert progress_counts(ds(3, 4, observed=1)) == (0, 3, 4)
    deploy = {"kind": "Deployment", "metadata": {"generation": 1},
              "status": {"observedGeneration": 1, "updatedReplicas": 2, "availableReplicas": 1}}
    assert progress_counts(deploy) == (1, 2, 1)
    assert progress_counts({"kind": "Deployment"}) == (1, 0, 0)
    with pytest.raises(ValueError, match="only DaemonSet and Deployment"):
        progress_counts({"kind": "StatefulSet"})


def test_a_rolling_update_advances_and_a_dip_in_availability_does_not():
    watch = ProgressWatch(30, now=0)
    assert watch.observe(ds(0, 5, observed=1), 0) is True      # the first read
    assert watch.observe(ds(0, 5), 1) is True                   # the new spec observed
    assert watch.observe(ds(0, 4), 2) is False                  # an old pod taken down
    assert watch.observe(ds(1, 4), 3) is True                   # its new pod created
    assert watch.observe(ds(1, 5), 4) is True                   # and available: counted again after an update
    assert watch.observe(ds(1, 4), 5) is False
    assert watch.observe(ds(1, 5), 6) is False                  # back to the best seen: no progress
    assert watch.idle_seconds(20) == 16 and not watch.stalled(33)
    assert watch.stalled(34)


def test_stalled_from_the_start_without_a_read():
    watch = ProgressWatch(10, now=100)
    assert not watch.stalled(109.9) and watch.stalled(110)
