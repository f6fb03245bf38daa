"""Unit tests of dslab.csi (the lab's CSI node plugin) and of tests/lab/csi_volumes.py's registration check."""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

LAB = Path(__file__).resolve().parents[3] / "lab"
TESTS_LAB = Path(__file__).resolve().parents[2] / "lab"
for path in (LAB, TESTS_LAB):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from dslab import csi  # noqa: E402
import csi_volumes  # noqa: E402


def test_vendored_registrar_is_the_release_source():
    with tarfile.open(csi.vendor_tarball()) as tar:
        names = tar.getnames()
    assert "node-driver-registrar-2.17.0/go.mod" in names
    assert "node-driver-registrar-2.17.0/cmd/csi-node-driver-registrar/main.go" in names
    assert "node-driver-registrar-2.17.0/LICENSE" in names
    assert not [n for n in names if "/vendor/" in n]


def test_manifest_mounts_the_registry_and_tolerates_every_taint():
    ns, driver, daemonset = csi.manifest("v1.34.12")
    assert ns["metadata"]["name"] == csi.NAMESPACE
    assert driver["metadata"]["name"] == csi.DRIVER == "mock.storage.k8s.io"
    assert "Ephemeral" in driver["spec"]["volumeLifecycleModes"] and driver["spec"]["podInfoOnMount"] is True
    spec = daemonset["spec"]["template"]["spec"]
    assert spec["tolerations"] == [{"operator": "Exists"}]
    volumes = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
    # The collection finds CSI node plugins as pods that mount <kubelet>/plugins_registry.
    assert volumes["registration-dir"] == "/var/lib/kubelet/plugins_registry"
    registrar, mock = spec["containers"]
    assert registrar["image"] == csi.REGISTRAR_REF
    assert f"--kubelet-registration-path={csi.PLUGIN_DIR}/csi.sock" in registrar["args"]
    assert mock["image"] == "dualstack.lab/csi-mock:v1.34.12"
    assert f"--drivername={csi.DRIVER}" in mock["args"]


def test_drivers_by_node():
    listed = csi.drivers_by_node({"items": [
        {"metadata": {"name": "a"}, "spec": {"drivers": [{"name": "z"}, {"name": csi.DRIVER}]}},
        {"metadata": {"name": "b"}, "spec": {"drivers": None}},
    ]})
    assert listed == {"a": [csi.DRIVER, "z"], "b": []}


def _node(name, uid):
    return {"metadata": {"name": name, "uid": uid}}


def _csinode(name, owner, drivers):
    return {"metadata": {"name": name, "ownerReferences": [{"kind": "Node", "uid": owner}]},
            "spec": {"drivers": [{"name": d} for d in drivers]}}


def _pod(node, ready=True):
    return {"spec": {"nodeName": node},
            "status": {"phase": "Running", "containerStatuses": [{"ready": ready}, {"ready": True}]}}


def test_registration_problems_names_each_one():
    nodes = {"a": _node("a", "u-a"), "b": _node("b", "u-b"), "c": _node("c", "u-c"), "d": _node("d", "u-d")}
    csinodes = {"a": _csinode("a", "u-a", [csi.DRIVER]),
                "b": _csinode("b", "old-uid", [csi.DRIVER]),
                "c": _csinode("c", "u-c", [])}
    pods = [_pod("a"), _pod("b"), _pod("c", ready=False), _pod("d")]
    problems = csi_volumes.registration_problems(nodes, csinodes, pods)
    assert problems["a"] == []
    assert problems["b"] == ["CSINode owned by ['old-uid'], not by the Node's uid u-b"]
    assert problems["c"] == [f"CSINode lists [], not {csi.DRIVER}", "no Ready plugin pod (1 on the node)"]
    assert problems["d"] == ["no CSINode"]


def test_volume_pod_is_pinned_and_uses_the_driver():
    pod = csi_volumes.volume_pod("dslab-w1")
    assert pod["spec"]["nodeName"] == "dslab-w1"
    assert pod["spec"]["volumes"] == [{"name": "v", "csi": {"driver": csi.DRIVER}}]


def test_the_mock_driver_of_1_37_and_newer_comes_from_1_36():
    # v1.37.2's mock panics on an inline ephemeral volume (NodePublishVolume reads a nil *csi.Volume).
    assert csi.mock_source("v1.34.12") == "v1.34.12"
    assert csi.mock_source("v1.36.3") == "v1.36.3"
    assert csi.mock_source("v1.37.2") == csi.MOCK_NEWEST_WORKING == "v1.36.3"
    assert csi.mock_source("v1.38.0-beta.0") == "v1.36.3"
    assert csi.mock_ref("v1.37.2") == "dualstack.lab/csi-mock:v1.36.3"
