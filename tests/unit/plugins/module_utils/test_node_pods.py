# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The pods of a re-registered node that are recreated (a DaemonSet pod with no hostNetwork field, as the API prints it)."""

from __future__ import annotations

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_pods import pods_to_recreate

REGISTERED = "2026-12-02T18:10:00Z"


def pod(name, created, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "spec": dict(nodeName="w1", **spec),
            "metadata": {"name": name, "namespace": "ns", "creationTimestamp": created}}


def test_pods_to_recreate():
    terminating = pod("going", "2026-12-02T18:00:00Z")
    terminating["metadata"]["deletionTimestamp"] = "2026-12-02T18:10:05Z"
    pods = {"apiVersion": "v1", "kind": "List", "items": [
        pod("probe-old", "2026-12-02T18:00:00Z"),  # no hostNetwork field at all
        pod("proxy", "2026-12-02T18:00:00Z", hostNetwork=True),
        pod("net-false", "2026-12-02T18:00:00Z", hostNetwork=False),
        pod("probe-new", "2026-12-02T18:10:03Z"),
        terminating,
    ]}
    assert pods_to_recreate(pods, REGISTERED) == [{"namespace": "ns", "name": "probe-old"},
                                                  {"namespace": "ns", "name": "net-false"}]
    assert pods_to_recreate([], REGISTERED) == []
