# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""What the conversion (and the way back) leaves on each lab host, checked with testinfra.

Run by the scenarios' verify (``DUALSTACK_EXPECT=dual``) and side_effect (``single``) plays:
``pytest --hosts=ansible://k8s_cluster --ansible-inventory=$MOLECULE_INVENTORY_FILE``. The Ansible
``verify`` role checks the cluster through the API; these check the hosts: the flags the running
processes carry, the files that hold them (modes kept, backups where the kubelet does not read
them), the forwarding sysctl and the IPv6 egress rules.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

EXPECT = os.environ.get("DUALSTACK_EXPECT", "dual")
DUAL = EXPECT == "dual"
MANIFESTS = "/etc/kubernetes/manifests"
TARGET = Path(__file__).resolve().parents[3] / "examples" / "lab-target.yml"
KUBEADM_MANIFESTS = {"etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"}


def variables(host) -> dict:
    return host.ansible.get_variables()


def ranges(host, name: str) -> str:  # pylint: disable=unused-argument
    """The pod or Service ranges the host must run: both in dual-stack, the first one after the way back
    (the scenarios' target is examples/lab-target.yml; the inventory holds it as a template)."""
    value = yaml.safe_load(TARGET.read_text())["dualstack_%s_cidrs" % name]
    return value if DUAL else value.split(",")[0]


def process_args(host, name: str) -> list:
    """The arguments of the running process ``name`` (one of them, with its arguments split)."""
    found = host.process.filter(comm=name[:15])  # the kernel keeps 15 characters of a command's name
    assert found, "no %s process on %s" % (name, host.backend.get_hostname())
    return found[0].args.split()


def is_control_plane(host) -> bool:
    return "kube_control_plane" in variables(host).get("group_names", [])


def test_kubelet_runs_the_node_ips_of_the_plan(host):
    v = variables(host)
    want = "--node-ip=%s,%s" % (v["ip"], v["ip6"]) if DUAL else "--node-ip=%s" % v["ip"]
    assert want in process_args(host, "kubelet")


def test_ipv6_forwarding_on_in_dual_stack(host):
    if not DUAL:
        pytest.skip("the way back leaves the forwarding sysctl as the node has it")
    assert host.sysctl("net.ipv6.conf.all.forwarding") == 1


def test_apiserver_and_controller_manager_run_the_ranges(host):
    if not is_control_plane(host):
        pytest.skip("not a control plane")
    service, pod = ranges(host, "service"), ranges(host, "pod")
    assert "--service-cluster-ip-range=%s" % service in process_args(host, "kube-apiserver")
    kcm = process_args(host, "kube-controller-manager")
    assert "--cluster-cidr=%s" % pod in kcm and "--service-cluster-ip-range=%s" % service in kcm
    assert not any(arg.startswith("--node-cidr-mask-size=") for arg in kcm)  # never mixed with per-family masks
    assert any(arg.startswith("--node-cidr-mask-size-ipv6=") for arg in kcm) is DUAL


def test_manifests_keep_their_mode_and_backups_are_hidden_from_the_kubelet(host):
    if not is_control_plane(host) or not host.file(MANIFESTS).exists:
        pytest.skip("no static Pod manifests here")
    names = host.file(MANIFESTS).listdir()
    visible = [n for n in names if not n.startswith(".")]
    # The kubelet starts a Pod for every file not starting with a dot: a backup there would run twice.
    assert set(visible) <= KUBEADM_MANIFESTS, visible
    for name in names:
        assert host.file("%s/%s" % (MANIFESTS, name)).mode == 0o600, name


def test_ipv6_egress_rules_in_bridge_mode(host):
    if variables(host).get("dualstack_egress_mode") != "bridge":
        pytest.skip("egress mode is not bridge")
    nat6 = host.check_output("ip6tables -w -t nat -S")
    rules = host.file("/etc/dualstack/ip6tables-egress.rules")
    if DUAL:
        assert "-N DUALSTACK-MASQ6" in nat6
        assert rules.exists and rules.mode == 0o644  # rules only, no secret; restored at boot by the unit
        assert host.service("dualstack-egress6.service").is_enabled
    else:
        assert "DUALSTACK-MASQ6" not in nat6
        assert not rules.exists
