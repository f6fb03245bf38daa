"""Unit tests of dslab.handmade (the hand-installed lab style), read back with the collection's units rules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from dslab import handmade, net  # noqa: E402

from ansible_collections.dualstack.kubernetes.plugins.module_utils.units import (  # noqa: E402
    ENV_FILE,
    EXEC,
    command_sources,
    command_words,
    route_changes,
    unit_layout,
)


def test_style_defaults_to_kubeadm_and_refuses_unknown(monkeypatch):
    monkeypatch.delenv("DUALSTACK_LAB_STYLE", raising=False)
    assert handmade.style() == "kubeadm"
    monkeypatch.setenv("DUALSTACK_LAB_STYLE", "units")
    assert handmade.style() == "units"
    monkeypatch.setenv("DUALSTACK_LAB_STYLE", "k3s")
    with pytest.raises(SystemExit, match="expected one of kubeadm, units"):
        handmade.style()


def test_manifest_command_joins_command_and_args(tmp_path):
    manifest = tmp_path / "kube-apiserver.yaml"
    manifest.write_text("kind: Pod\nspec:\n  containers:\n  - name: a\n    command: [kube-apiserver, --a=1]\n    args: [--b=2]\n")
    assert handmade.manifest_command(manifest) == ["kube-apiserver", "--a=1", "--b=2"]


def test_apiserver_unit_holds_its_flags_on_execstart():
    text = handmade.unit_text("Kubernetes API Server", ["/usr/local/bin/kube-apiserver", "--service-cluster-ip-range=10.96.0.0/16",
                                                        "--advertise-address=192.168.77.11"], after="etcd.service")
    sources = command_sources(unit_layout([("/etc/systemd/system/kube-apiserver.service", text)]), {})
    assert [s.kind for s in sources] == [EXEC]
    assert command_words(sources) == ["--service-cluster-ip-range=10.96.0.0/16", "--advertise-address=192.168.77.11"]
    assert "ExecStart=/usr/local/bin/kube-apiserver \\\n  --service-cluster-ip-range=10.96.0.0/16 \\\n" in text


def test_controller_manager_flags_are_read_and_routed_to_its_environment_file():
    unit = handmade.unit_text("Kubernetes Controller Manager", ["/usr/local/bin/kube-controller-manager", "$" + handmade.KCM_VAR],
                              environment_file=handmade.KCM_ENV)
    env = '%s="--allocate-node-cidrs=true --cluster-cidr=10.244.0.0/16"\n' % handmade.KCM_VAR
    sources = command_sources(unit_layout([("/etc/systemd/system/kube-controller-manager.service", unit)]), {handmade.KCM_ENV: env})
    assert [(s.kind, s.path, s.env_var) for s in sources[1:]] == [(ENV_FILE, handmade.KCM_ENV, handmade.KCM_VAR)]
    assert route_changes(sources, {"cluster-cidr": "10.244.0.0/16,fd00:10:244::/56", "node-cidr-mask-size-ipv6": "64"}) == {
        1: {"cluster-cidr": "10.244.0.0/16,fd00:10:244::/56", "node-cidr-mask-size-ipv6": "64"}}


def test_kubelet_unit_and_kube_proxy_config_of_a_node():
    w1 = net.node("w1")
    sources = command_sources(unit_layout([("/etc/systemd/system/kubelet.service", handmade.kubelet_unit(w1))]), {})
    words = command_words(sources)
    assert "--node-ip=192.168.77.21" in words and "--config=/var/lib/kubelet/config.yaml" in words
    assert "clusterCIDR: 10.244.0.0/16\n" in handmade.kube_proxy_config(w1)
    assert "hostnameOverride: dslab-w1\n" in handmade.kube_proxy_config(w1)
    assert "clientCAFile: /etc/kubernetes/pki/ca.crt" in handmade.kubelet_config()
