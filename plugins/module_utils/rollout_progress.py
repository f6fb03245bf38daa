# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Progress of a DaemonSet's or Deployment's rollout, for a wait that grows with the object.

A fixed total wait fails on a large cluster although the rollout advances: a DaemonSet of 500 pods
updates ``maxUnavailable`` pods at a time. The wait behind ``k8s_rollout`` fails instead when the
rollout *stalls*: no pod newly updated, and no updated pod newly available, for ``stall_timeout``
seconds (the idea of a Deployment's ``progressDeadlineSeconds``, which the deployment controller
applies to "a new pod created or a new pod becoming available": k8s.io/kubernetes
pkg/controller/deployment/progress.go; DaemonSets have no such deadline, so it is kept here).

A rolling update takes an old pod down (available drops) before its new pod comes up, so counts
that go down and up again are not progress: progress is a new high of updated pods, or of available
pods since the last new high of updated ones.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

Counts = Tuple[int, int, int]


def progress_counts(obj: Mapping[str, Any]) -> Counts:
    """(spec observed 0/1, updated, available) of a DaemonSet or a Deployment, from its status."""
    status = obj.get("status") or {}
    observed = int(status.get("observedGeneration", 0) >= (obj.get("metadata") or {}).get("generation", 0))
    if obj.get("kind") == "DaemonSet":
        return observed, int(status.get("updatedNumberScheduled", 0)), int(status.get("numberAvailable", 0))
    if obj.get("kind") == "Deployment":
        return observed, int(status.get("updatedReplicas", 0)), int(status.get("availableReplicas", 0))
    raise ValueError("rollout progress of %s: only DaemonSet and Deployment" % obj.get("kind"))


class ProgressWatch:
    """When a rollout last advanced, from successive reads; ``stall_timeout`` seconds without advancing is a stall."""

    def __init__(self, stall_timeout: float, now: float) -> None:
        self.stall_timeout = stall_timeout
        self.last_progress = now
        self.best: Optional[Counts] = None

    def observe(self, obj: Mapping[str, Any], now: float) -> bool:
        """Record one read at time ``now``; True when it shows progress (the first read counts as progress)."""
        counts = progress_counts(obj)
        best = self.best
        if best is None:
            advanced = True
            self.best = counts
        else:
            observed, updated, available = counts
            if updated > best[1]:
                # New pods updated: availability is counted again from here.
                self.best = (max(observed, best[0]), updated, available)
                advanced = True
            else:
                advanced = observed > best[0] or available > best[2]
                self.best = (max(observed, best[0]), best[1], max(available, best[2]))
        if advanced:
            self.last_progress = now
        return advanced

    def stalled(self, now: float) -> bool:
        """True when the last progress is ``stall_timeout`` seconds or more before ``now``."""
        return now - self.last_progress >= self.stall_timeout

    def idle_seconds(self, now: float) -> float:
        """Seconds since the last progress."""
        return now - self.last_progress
