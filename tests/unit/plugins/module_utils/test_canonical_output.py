# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Every writer puts canonical addresses and ranges where the API or a component validates them.

From 1.36 the API rejects non-canonical IPs and CIDRs (StrictIPCIDRValidation, beta and on: KEP-4858; a
leading zero, an uppercase or uncompressed IPv6 group, host bits). Inputs written that way must come out
normalised (IPv6 lowercase and compressed, as Go's netip prints them and Python's ipaddress does) or be
refused before anything changes: the plan (the flags of every component, each kubelet's --node-ip),
kubeadm's ClusterConfiguration, the KubeProxyConfiguration, flannel's net-conf.json, Calico's objects,
ip-masq-agent's ConfigMap and the ip6tables rules. Each string of their output that parses as an address or
a range, also inside embedded JSON and comma-separated values, is compared with its canonical form.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Iterator

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import calico, egress, flannel
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.kubeadm_config import cluster_configuration
from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import conversion_plan
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.kube_proxy_config import kube_proxy_configuration

from .cni_manifests import one
from .test_egress import masq_configmap
from .test_kubeadm_config import V1BETA4

# The lab's target, written the way a hand-edited inventory may: spaces, uppercase, uncompressed zero
# groups, leading zeros inside IPv6 groups (all valid input; none of it canonical).
POD_IN = " 10.244.0.0/16 , FD00:10:244:0::/56"
SERVICE_IN = ["10.96.0.0/16", "fd00:0010:0096:0000::/112"]
NODES_IN = {"cp1": "192.168.77.11,FD00:77:0:0::11", "w1": ["192.168.77.21", "fd00:0077::0021"]}
POD = ["10.244.0.0/16", "fd00:10:244::/56"]


def strings(value: Any) -> Iterator[str]:
    """Every string in ``value``, those of JSON embedded in strings too."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        text = value.strip()
        if text[:1] in "{[":
            try:
                yield from strings(json.loads(text))
                return
            except ValueError:
                pass
        yield value


def addresses(value: Any) -> Iterator[str]:
    """The words of ``value`` that parse as an IP address or a range (comma-, space- and = separated)."""
    for text in strings(value):
        for word in text.replace(",", " ").replace("=", " ").split():
            try:
                ipaddress.ip_network(word, strict=False) if "/" in word else ipaddress.ip_address(word)
            except ValueError:
                continue
            yield word


def canonical(word: str) -> str:
    if "/" in word:
        return str(ipaddress.ip_network(word, strict=True))
    return str(ipaddress.ip_address(word))


def assert_canonical(value: Any) -> int:
    found = list(addresses(value))
    assert found, "no address found: the walk is broken"
    for word in found:
        assert word == canonical(word), word
    return len(found)


@pytest.fixture(name="plan")
def fixture_plan():
    return conversion_plan(POD_IN, SERVICE_IN, "v1.34.12", NODES_IN)


def test_the_plan_writes_canonical_ranges_and_node_ips(plan):
    assert plan["pod_cidrs"] == POD and plan["service_cidrs"] == ["10.96.0.0/16", "fd00:10:96::/112"]
    assert plan["kubelet"]["cp1"]["node-ip"] == "192.168.77.11,fd00:77::11"
    assert plan["kubelet"]["w1"]["node-ip"] == "192.168.77.21,fd00:77::21"
    assert plan["kube-controller-manager"]["cluster-cidr"] == "10.244.0.0/16,fd00:10:244::/56"
    assert assert_canonical({key: plan[key] for key in ("kube-apiserver", "kube-controller-manager", "kube-proxy", "kubelet")}) >= 7


def test_kubeadm_and_kube_proxy_configurations_get_the_plans_canonical_values(plan):
    assert_canonical(cluster_configuration(V1BETA4, plan)["networking"])
    text = kube_proxy_configuration("kind: KubeProxyConfiguration\nclusterCIDR: 10.244.0.0/16\n",
                                    plan["kube-proxy"]["cluster-cidr"], "1.34")
    assert "clusterCIDR: 10.244.0.0/16,fd00:10:244::/56" in text


@pytest.mark.parametrize("write", [
    lambda pods: flannel.flannel_dualstack(one("kube-flannel.yml.txt", "ConfigMap"), pods),
    lambda pods: calico.calico_dualstack(one("calico.yaml.txt", "DaemonSet"), pods),
    calico.calico_ippool,
    lambda pods: egress.ip_masq_agent_dualstack(masq_configmap(), pods, nonmasq_cidrs=["FD00:0:0:1::/64"]),
    lambda pods: egress.ipv6_masquerade_rules(pods, ["10.96.0.0/16", "FD00:10:96:0::/112"]),
], ids=["flannel", "calico-daemonset", "calico-ippool", "ip-masq-agent", "ip6tables"])
def test_cni_and_egress_writers_normalise_what_they_are_given(write):
    out = write(POD_IN)
    assert_canonical(out)
    assert "fd00:10:244::/56" in set(addresses(out))


@pytest.mark.parametrize("value, words", [
    ("010.244.0.0/16,fd00:10:244::/56", "no leading zeros"),
    ("10.244.0.1/16,fd00:10:244::/56", "did you mean 10.244.0.0/16"),
    ("10.244.0.0/16,fd00:10:244::1/56", "did you mean fd00:10:244::/56"),
])
def test_non_canonical_input_that_has_no_one_meaning_is_refused_by_every_writer(value, words):
    writers = [
        lambda: conversion_plan(value, SERVICE_IN, "v1.34.12", NODES_IN),
        lambda: flannel.flannel_dualstack(one("kube-flannel.yml.txt", "ConfigMap"), value),
        lambda: calico.calico_ippool(value),
        lambda: egress.ip_masq_agent_dualstack(masq_configmap(), value),
        lambda: egress.ipv6_masquerade_rules(value),
    ]
    for write in writers:
        with pytest.raises(DualStackError) as err:
            write()
        assert words in str(err.value) or "is not a CIDR" in str(err.value), str(err.value)


def test_a_node_address_with_ipv4_leading_zeros_is_refused():
    with pytest.raises(DualStackError, match="192.168.077.11"):
        conversion_plan(POD, SERVICE_IN, "v1.34.12", {"cp1": "192.168.077.11,fd00:77::11"})
