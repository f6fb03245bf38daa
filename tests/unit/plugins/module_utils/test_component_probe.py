# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The component process with the wanted flag and its health endpoint (module_utils/component_probe.py)."""

from __future__ import annotations

from ansible_collections.dualstack.kubernetes.plugins.module_utils import component_probe
from ansible_collections.dualstack.kubernetes.plugins.module_utils.component_probe import (
    find_component_pid, flag_value, health_endpoint)

WANT = "--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112"
APISERVER = ["kube-apiserver", "--advertise-address=192.168.77.11", "--secure-port=6443", WANT]


def test_the_process_is_the_component_with_the_flag_as_one_word():
    table = {10: ["/usr/local/bin/kube-apiserver", "--service-cluster-ip-range=10.96.0.0/16"],
             20: ["bash", "-c", "kube-apiserver " + WANT],  # a shell that names it is not it
             30: ["/usr/local/bin/kube-apiserver", "--etcd-servers=x", WANT], 40: []}
    assert find_component_pid(table, "kube-apiserver", WANT) == 30
    assert find_component_pid({10: table[10]}, "kube-apiserver", WANT) is None
    assert find_component_pid(table, "kube-controller-manager", WANT) is None


def test_flag_values_and_health_endpoints():
    assert flag_value(APISERVER + ["--secure-port=7443"], "secure-port") == "7443"
    assert flag_value(APISERVER, "bind-address") is None
    assert health_endpoint("kube-apiserver", APISERVER) == ("https://192.168.77.11:6443", "/readyz")
    assert health_endpoint("kube-apiserver", ["kube-apiserver", "--advertise-address=fd00:77::11"]) == (
        "https://[fd00:77::11]:6443", "/readyz")
    assert health_endpoint("kube-apiserver", ["kube-apiserver"]) == ("https://127.0.0.1:6443", "/readyz")
    kcm = ["kube-controller-manager", "--bind-address=127.0.0.1"]
    assert health_endpoint("kube-controller-manager", kcm) == ("https://127.0.0.1:10257", "/healthz")
    assert health_endpoint("kube-controller-manager", ["kube-controller-manager", "--bind-address=0.0.0.0"]) == (
        "https://127.0.0.1:10257", "/healthz")
    assert health_endpoint("kube-controller-manager", ["kube-controller-manager", "--bind-address=::",
                                                       "--secure-port=10300"]) == ("https://[::1]:10300", "/healthz")


def test_process_start_from_proc_stat():
    # proc(5): field 22 starttime in clock ticks after boot; the command (field 2) may hold spaces and ')'.
    stat = ("4242 (kube-controller) m) S 1 4242 4242 0 -1 4194560 1000 0 0 0 50 20 0 0 20 0 12 0 "
            "123456 1000000 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0")
    assert component_probe.process_start(stat, 1796500000, 100) == 1796500000 + 1234.56
