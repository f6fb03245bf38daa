"""Unit tests of dslab.calico (the lab's real-Calico mode)."""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

LAB = Path(__file__).resolve().parents[3] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from dslab import calico, images, podnet  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "plugins" / "module_utils" / "fixtures" / "cni" / "calico.yaml.txt"


def node_env(text: str) -> tuple[dict, dict]:
    (ds,) = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "DaemonSet"]
    (node,) = [c for c in ds["spec"]["template"]["spec"]["containers"] if c["name"] == "calico-node"]
    return {e["name"]: e.get("value") for e in node["env"]}, node


def test_lab_manifest_makes_the_documented_vxlan_edits_only():
    text = FIXTURE.read_text()
    out = calico.lab_manifest(text, "10.244.0.0/16")
    env, node = node_env(out)
    assert env["CALICO_IPV4POOL_IPIP"] == "Never" and env["CALICO_IPV4POOL_VXLAN"] == "Always"
    assert env["CALICO_IPV4POOL_CIDR"] == "10.244.0.0/16"
    assert node["livenessProbe"]["exec"]["command"] == ["/bin/calico-node", "-felix-live"]
    assert node["readinessProbe"]["exec"]["command"] == ["/bin/calico-node", "-felix-ready"]
    (cm,) = [d for d in yaml.safe_load_all(out) if d and d["kind"] == "ConfigMap"]
    assert cm["data"]["calico_backend"] == "vxlan"
    # Everything else as published: 5 lines changed, 2 removed.
    before, after = text.splitlines(), out.splitlines()
    assert len(before) - len(after) == 2
    assert len(set(before) - set(after)) <= 7


def test_lab_manifest_refuses_a_manifest_it_does_not_know():
    text = FIXTURE.read_text().replace('calico_backend: "bird"', 'calico_backend: "vxlan"')
    with pytest.raises(RuntimeError, match='expected one calico_backend "bird", found 0'):
        calico.lab_manifest(text, "10.244.0.0/16")
    text = FIXTURE.read_text().replace("              - -bird-ready\n", "")
    with pytest.raises(RuntimeError, match="found 1"):
        calico.lab_manifest(text, "10.244.0.0/16")


def test_manifest_images_of_the_vendored_release():
    tarball = calico.vendor_dir() / calico.CALICO_TARBALL
    if not tarball.is_file():
        pytest.skip(f"{tarball} not here (../shared/vendor)")
    with tarfile.open(tarball) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/" + calico.MANIFEST_REL))
        text = tar.extractfile(member).read().decode()  # type: ignore[union-attr]
    refs = calico.manifest_images(text)
    assert refs == {name: f"quay.io/calico/{name}:{calico.CALICO_VERSION}" for name in calico.IMAGE_NAMES}
    env, _ = node_env(calico.lab_manifest(text, "10.244.0.0/16"))
    assert env["CALICO_IPV4POOL_CIDR"] == "10.244.0.0/16"


def test_manifest_images_refuses_unknown_images():
    with pytest.raises(RuntimeError, match="unexpected images"):
        calico.manifest_images(FIXTURE.read_text())  # the fixture has no kube-controllers


def test_node_filesystem_layer_maps_etc_and_sbin(tmp_path):
    fs = tmp_path / "node" / "filesystem"
    (fs / "etc" / "service" / "available" / "felix").mkdir(parents=True)
    (fs / "etc" / "service" / "available" / "felix" / "run").write_text("#!/bin/sh\n")
    (fs / "etc" / "calico" / "confd" / "config").mkdir(parents=True)
    (fs / "etc" / "calico" / "confd" / "config" / ".gitkeep").write_text("")
    (fs / "sbin").mkdir()
    (fs / "sbin" / "start_runit").write_text("#!/bin/sh\n")
    (fs / "sbin" / "start_runit").chmod(0o755)
    layer = calico.node_filesystem_layer(tmp_path)
    assert layer.entries["/usr/sbin/start_runit"].mode == 0o755
    assert layer.entries["/etc/service/available/felix/run"].kind == "file"
    assert layer.entries["/etc/calico/confd/config"].kind == "dir"
    assert "/etc/calico/confd/config/.gitkeep" not in layer.entries


def test_owned_file_in_layer_tar():
    layer = images.Layer()
    layer.add_bytes("/status/status.json", b"", uid=999)
    with tarfile.open(fileobj=io.BytesIO(images.layer_tar(layer))) as tar:
        info = tar.getmember("status/status.json")
    assert (info.uid, info.gid) == (999, 999)


def test_pod_network_selector_knows_calico(monkeypatch):
    monkeypatch.setenv("DUALSTACK_LAB_CNI", "calico")
    assert podnet.selected() == "calico"
