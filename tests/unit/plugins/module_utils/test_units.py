# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Where a systemd service's flags live: ExecStart=, EnvironmentFile= variables, Environment=."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flag_words import ComponentFlagsError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.units import (
    ENV_FILE,
    EXEC,
    INLINE,
    command_sources,
    command_words,
    default_source,
    process_start_time,
    restart_needed,
    route_changes,
    unit_layout,
)

LAB = Path(__file__).resolve().parents[4] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))
from dslab import cluster  # noqa: E402  pylint: disable=wrong-import-position

KUBELET_UNIT = "[Unit]\nDescription=kubelet\n\n[Service]\nExecStart=/usr/local/bin/kubelet\nRestart=always\n"
# The drop-in of the upstream kubeadm package, as the lab installs it (lab/dslab/cluster.py).
KUBEADM_DROPIN = cluster.KUBEADM_DROPIN
KUBEADM_FLAGS = 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --node-ip=192.168.77.21"\n'
APISERVER_UNIT = """\
[Unit]
Description=Kubernetes API Server

[Service]
ExecStart=/usr/local/bin/kube-apiserver \\
  --advertise-address=192.168.77.11 \\
  --service-cluster-ip-range=10.96.0.0/16
Restart=on-failure
"""
PACKAGED_KCM = """\
[Service]
EnvironmentFile=-/etc/kubernetes/config
EnvironmentFile=-/etc/kubernetes/controller-manager
ExecStart=/usr/bin/kube-controller-manager $KUBE_LOGTOSTDERR $KUBE_CONTROLLER_MANAGER_ARGS
"""


def kubeadm_sources(extra: str = "KUBELET_EXTRA_ARGS=\n"):
    layout = unit_layout([("/etc/systemd/system/kubelet.service", KUBELET_UNIT),
                          ("/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", KUBEADM_DROPIN)])
    return command_sources(layout, {"/var/lib/kubelet/kubeadm-flags.env": KUBEADM_FLAGS, "/etc/default/kubelet": extra})


def test_kubeadm_kubelet_command_line_is_expanded_in_order():
    sources = kubeadm_sources()
    assert [(s.kind, s.env_var) for s in sources] == [
        (EXEC, None), (INLINE, "KUBELET_KUBECONFIG_ARGS"), (INLINE, "KUBELET_CONFIG_ARGS"),
        (ENV_FILE, "KUBELET_KUBEADM_ARGS"), (ENV_FILE, "KUBELET_EXTRA_ARGS")]
    assert sources[0].path.endswith("10-kubeadm.conf")
    assert command_words(sources) == [
        "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf", "--kubeconfig=/etc/kubernetes/kubelet.conf",
        "--config=/var/lib/kubelet/config.yaml",
        "--container-runtime-endpoint=unix:///run/containerd/containerd.sock", "--node-ip=192.168.77.21"]


def test_node_ip_is_edited_in_kubeadm_flags_env():
    sources = kubeadm_sources()
    assert route_changes(sources, {"node-ip": "192.168.77.21,fd00:77::21"}) == {3: {"node-ip": "192.168.77.21,fd00:77::21"}}


def test_a_flag_set_last_in_extra_args_is_edited_there():
    sources = kubeadm_sources('KUBELET_EXTRA_ARGS="--node-ip=192.168.77.99"\n')
    assert route_changes(sources, {"node_ip": "x"}) == {4: {"node_ip": "x"}}


def test_removal_reaches_every_place():
    sources = kubeadm_sources('KUBELET_EXTRA_ARGS="--node-ip=192.168.77.99"\n')
    assert route_changes(sources, {"node-ip": None}) == {3: {"node-ip": None}, 4: {"node-ip": None}}


def test_new_flag_goes_to_the_first_environment_file_variable_when_execstart_has_no_flags():
    sources = kubeadm_sources()
    assert default_source(sources) == 3
    assert route_changes(sources, {"feature-gates": "A=true"}) == {3: {"feature-gates": "A=true"}}


def test_flag_in_environment_value_is_refused_with_the_fix():
    with pytest.raises(ComponentFlagsError, match=r"--config is set in Environment=\"KUBELET_CONFIG_ARGS=...\" of .*10-kubeadm.conf"):
        route_changes(kubeadm_sources(), {"config": "/other.yaml"})


def test_hand_installed_unit_keeps_new_flags_on_the_execstart_line():
    sources = command_sources(unit_layout([("/etc/systemd/system/kube-apiserver.service", APISERVER_UNIT)]), {})
    assert len(sources) == 1 and sources[0].kind == EXEC
    assert route_changes(sources, {"service-cluster-ip-range": "a", "feature-gates": "b"}) == {
        0: {"service-cluster-ip-range": "a", "feature-gates": "b"}}


def test_packaged_unit_reads_its_variable_from_the_last_file_that_sets_it():
    layout = unit_layout([("/usr/lib/systemd/system/kube-controller-manager.service", PACKAGED_KCM)])
    assert layout.environment_files == [("/etc/kubernetes/config", True), ("/etc/kubernetes/controller-manager", True)]
    sources = command_sources(layout, {
        "/etc/kubernetes/config": 'KUBE_LOGTOSTDERR="--logtostderr=true"\n',
        "/etc/kubernetes/controller-manager": 'KUBE_CONTROLLER_MANAGER_ARGS="--cluster-cidr=10.244.0.0/16"\n'})
    assert [(s.path, s.env_var) for s in sources[1:]] == [
        ("/etc/kubernetes/config", "KUBE_LOGTOSTDERR"), ("/etc/kubernetes/controller-manager", "KUBE_CONTROLLER_MANAGER_ARGS")]
    assert route_changes(sources, {"cluster-cidr": "x", "node-cidr-mask-size-ipv6": "64"}) == {
        2: {"cluster-cidr": "x"}, 1: {"node-cidr-mask-size-ipv6": "64"}}


def test_missing_environment_file_adds_nothing():
    layout = unit_layout([("/u", PACKAGED_KCM)])
    sources = command_sources(layout, {"/etc/kubernetes/config": None, "/etc/kubernetes/controller-manager": None})
    assert sources == [sources[0]] and command_words(sources) == []


def test_empty_execstart_resets_and_a_unit_without_command_is_refused():
    dropin = "[Service]\nExecStart=\n"
    with pytest.raises(ComponentFlagsError, match="set no ExecStart= command line"):
        unit_layout([("/u", APISERVER_UNIT), ("/d.conf", dropin)])


def test_empty_environment_file_setting_resets_the_list():
    layout = unit_layout([("/u", PACKAGED_KCM), ("/d.conf", "[Service]\nEnvironmentFile=\nEnvironmentFile=/x\n")])
    assert layout.environment_files == [("/x", False)]


def test_settings_outside_service_are_ignored():
    text = "[Unit]\nEnvironment=A=--x\n[Service]\nExecStart=/bin/k $A\n"
    sources = command_sources(unit_layout([("/u", text)]), {})
    assert len(sources) == 1


def test_process_start_time_counts_fields_after_the_command_name():
    # pid (comm with spaces and parens) state ... field 22 = starttime in ticks since boot
    stat = "4242 (kube (api) server) S " + " ".join(["1"] * 18) + " 250000 0 0"
    # started 2500 s after boot; now is 3000 s after boot: it is 500 s old
    assert process_start_time(stat, 1_700_000_000.0, 3000.0, 100) == 1_699_999_500.0


def test_process_start_time_of_this_process_is_in_the_past():
    import os
    import time
    with open("/proc/self/stat") as handle:
        started = process_start_time(handle.read(), time.time(), time.clock_gettime(time.CLOCK_BOOTTIME), os.sysconf("SC_CLK_TCK"))
    assert time.time() - 3600 < started <= time.time()


def test_restart_needed_when_not_running_or_a_file_is_newer():
    assert restart_needed(None, [])
    assert restart_needed(100.0, [50.0, 101.0])
    assert not restart_needed(100.0, [50.0, 99.5])
