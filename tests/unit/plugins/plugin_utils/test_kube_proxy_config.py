# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""kube-proxy's KubeProxyConfiguration edited for the plan (plugin_utils/kube_proxy_config.py)."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.kube_proxy_config import kube_proxy_configuration

DUAL = "10.244.0.0/16,fd00:10:244::/56"
# The head of config.conf as kubeadm v1.34 writes it into the kube-proxy ConfigMap (an operator's comment added).
KUBEADM = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: 10.244.0.0/16
# conntrack tuned for the lab
conntrack:
  maxPerCore: 0
kind: KubeProxyConfiguration
mode: iptables
"""


def test_only_the_cluster_cidr_line_changes():
    new = kube_proxy_configuration(KUBEADM, DUAL, "1.34")
    assert new == KUBEADM.replace("clusterCIDR: 10.244.0.0/16", "clusterCIDR: " + DUAL)
    assert kube_proxy_configuration(new, DUAL, "1.34") == new  # idempotent
    # The way back.
    assert kube_proxy_configuration(new, "10.244.0.0/16", "1.34") == KUBEADM


def test_gates_for_the_version_and_a_config_without_the_line_are_written_whole():
    old = KUBEADM.replace("clusterCIDR: 10.244.0.0/16\n", "") + "featureGates:\n  IPv6DualStack: false\n  Foo: true\n"
    new = yaml.safe_load(kube_proxy_configuration(old, DUAL, "1.34"))
    assert new["clusterCIDR"] == DUAL and new["featureGates"] == {"Foo": True}
    assert new["conntrack"] == {"maxPerCore": 0} and new["mode"] == "iptables"
    # Before 1.21 the gate must be on (beta, default on from 1.21: set explicitly on older releases).
    old120 = KUBEADM + "featureGates:\n  IPv6DualStack: false\n"
    assert yaml.safe_load(kube_proxy_configuration(old120, DUAL, "1.20"))["featureGates"] == {"IPv6DualStack": True}


def test_broken_text_is_named():
    with pytest.raises(DualStackError, match="not YAML"):
        kube_proxy_configuration("a: [", DUAL, "1.34")
    with pytest.raises(DualStackError, match="not a mapping"):
        kube_proxy_configuration("- a\n", DUAL, "1.34")
