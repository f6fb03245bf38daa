# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""IPv6 egress (module_utils/egress.py): ip-masq-agent against its published example, ip6tables masquerade rules."""

from __future__ import annotations

import copy
import ipaddress

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dualstack.kubernetes.plugins.module_utils import egress

from .cni_manifests import FIXTURES, PODS, one, raises, v4_pool

SERVICES = ["10.96.0.0/16", "fd00:10:96::/112"]


def masq_config_text():
    """agent-config/config as published (the header comment lines dropped, no trailing newline)."""
    lines = (FIXTURES / "ip-masq-agent-config").read_text().splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith("#"))[:-1]


def masq_configmap(text=None):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ip-masq-agent", "namespace": "kube-system", "resourceVersion": "17"},
        "data": {"config": masq_config_text() if text is None else text},
    }


# ---------------------------------------------------------------------------------------------
# ip-masq-agent
# ---------------------------------------------------------------------------------------------


def test_ip_masq_configmap_published_example():
    before = masq_configmap()
    pristine = copy.deepcopy(before)
    after = egress.ip_masq_agent_dualstack(before, PODS)
    assert before == pristine
    config = yaml.safe_load(after["data"]["config"])
    # 10.244.0.0/16 is inside 10.0.0.0/8 already; only the IPv6 range is new.
    assert config == {"nonMasqueradeCIDRs": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00:10:244::/56"],
                      "masqLinkLocal": False, "resyncInterval": "60s"}
    assert list(config) == ["nonMasqueradeCIDRs", "masqLinkLocal", "resyncInterval"]
    assert after["metadata"] == before["metadata"]
    assert egress.ip_masq_agent_dualstack(after, PODS) == after


def test_ip_masq_configmap_pod_range_outside_rfc1918_is_added():
    after = egress.ip_masq_agent_dualstack(masq_configmap(), ["100.64.0.0/16", "fd00:10:244::/56"], nonmasq_cidrs="2001:db8:1::/64")
    assert yaml.safe_load(after["data"]["config"])["nonMasqueradeCIDRs"][3:] == ["100.64.0.0/16", "fd00:10:244::/56", "2001:db8:1::/64"]


@pytest.mark.parametrize("text", [None, "", "# nothing yet\n", "masqLinkLocal: true\n"])
def test_ip_masq_configmap_seeded_with_agent_defaults(text):
    cm = masq_configmap("")
    if text is None:
        del cm["data"]
    else:
        cm["data"]["config"] = text
    config = yaml.safe_load(egress.ip_masq_agent_dualstack(cm, ["100.64.0.0/16", "fd00:10:244::/56"])["data"]["config"])
    assert config["nonMasqueradeCIDRs"] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/16", "fd00:10:244::/56"]
    reserved = yaml.safe_load(egress.ip_masq_agent_dualstack(cm, PODS, nomasq_all_reserved_ranges=True)["data"]["config"])
    assert reserved["nonMasqueradeCIDRs"] == egress.IP_MASQ_RESERVED_NONMASQ + ["fd00:10:244::/56"]


def test_ip_masq_configmap_canonical_no_duplicates_and_json_kept():
    cm = masq_configmap('{"nonMasqueradeCIDRs": ["10.0.0.0/8", "FD00:10:244:0::/56", "10.0.0.0/8", "10.1.2.3/16"]}\n')
    after = egress.ip_masq_agent_dualstack(cm, PODS)["data"]["config"]
    assert after == '{"nonMasqueradeCIDRs": ["10.0.0.0/8", "fd00:10:244::/56", "10.1.0.0/16"]}\n'


def test_ip_masq_configmap_errors():
    raises("not a CIDR", egress.ip_masq_agent_dualstack, masq_configmap("nonMasqueradeCIDRs: [10.0.0.0/8, nonsense]"), PODS)
    raises("not a list of CIDRs", egress.ip_masq_agent_dualstack, masq_configmap("nonMasqueradeCIDRs: 10.0.0.0/8"), PODS)
    raises("is not a mapping", egress.ip_masq_agent_dualstack, masq_configmap("- 10.0.0.0/8"), PODS)
    raises("is not valid YAML", egress.ip_masq_agent_dualstack, masq_configmap("nonMasqueradeCIDRs: [10.0.0.0/8"), PODS)
    message = raises("over cidrLimit 3", egress.ip_masq_agent_dualstack, masq_configmap(masq_config_text() + "\ncidrLimit: 3"), PODS)
    assert "would hold 4 entries" in message and "raise cidrLimit" in message
    raises("is not the agent's ConfigMap or DaemonSet", egress.ip_masq_agent_dualstack, v4_pool(), PODS)
    raises("not IPv4 and IPv6|existing IPv4 --cluster-cidr first", egress.ip_masq_agent_dualstack, masq_configmap(), "fd00::/56")


def test_ip_masq_daemonset_published():
    before = one("ip-masq-agent.yaml.txt", "DaemonSet")
    pristine = copy.deepcopy(before)
    after = egress.ip_masq_agent_dualstack(before, PODS)
    assert before == pristine
    container = after["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["--enable-ipv6=true"]
    container.pop("args")
    assert after == before
    once = egress.ip_masq_agent_dualstack(before, PODS)
    assert egress.ip_masq_agent_dualstack(once, PODS) == once


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--masq-chain=IP-MASQ", "--enable-ipv6=false"], ["--masq-chain=IP-MASQ", "--enable-ipv6=true"]),
        (["--enable-ipv6", "--v=2"], ["--v=2", "--enable-ipv6=true"]),
        (["-enable-ipv6=true", "--enable-ipv6=true"], ["--enable-ipv6=true"]),
    ],
)
def test_ip_masq_daemonset_flag_variants(args, expected):
    ds = one("ip-masq-agent.yaml.txt", "DaemonSet")
    ds["spec"]["template"]["spec"]["containers"][0]["args"] = args
    assert egress.ip_masq_agent_dualstack(ds, PODS)["spec"]["template"]["spec"]["containers"][0]["args"] == expected


def test_ip_masq_daemonset_errors_and_lists():
    ds = one("ip-masq-agent.yaml.txt", "DaemonSet")
    ds["spec"]["template"]["spec"]["containers"][0]["command"] = ["/ip-masq-agent", "--enable-ipv6=false"]
    raises("move the flag to args", egress.ip_masq_agent_dualstack, ds, PODS)
    ds = one("ip-masq-agent.yaml.txt", "DaemonSet")
    ds["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "x"})
    ds["spec"]["template"]["spec"]["containers"][0]["name"] = "masq"
    raises("has no container named 'ip-masq-agent'", egress.ip_masq_agent_dualstack, ds, PODS)
    assert egress.ip_masq_agent_dualstack(ds, PODS, container="masq")["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "--enable-ipv6=true"]
    both = egress.ip_masq_agent_dualstack([masq_configmap(), one("ip-masq-agent.yaml.txt", "DaemonSet")], PODS)
    assert [o["kind"] for o in both] == ["ConfigMap", "DaemonSet"]
    raises("no object given", egress.ip_masq_agent_dualstack, None, PODS)


@settings(max_examples=60, deadline=None)
@given(existing=st.lists(st.sampled_from(["10.0.0.0/8", "192.168.0.0/16", "fd00::/8", "FD00:10:244::/56", "2001:db8::/32",
                                          "10.244.0.0/16", "100.64.0.0/10"]), max_size=6))
def test_ip_masq_idempotent_property(existing):
    cm = masq_configmap(yaml.safe_dump({"nonMasqueradeCIDRs": existing}))
    once = egress.ip_masq_agent_dualstack(cm, PODS)
    assert egress.ip_masq_agent_dualstack(once, PODS) == once
    entries = yaml.safe_load(once["data"]["config"])["nonMasqueradeCIDRs"]
    assert len(entries) == len(set(entries))
    networks = [ipaddress.ip_network(e) for e in entries]
    assert [str(n) for n in networks] == entries
    for pod in PODS:
        assert any(ipaddress.ip_network(pod).subnet_of(n) for n in networks if n.version == ipaddress.ip_network(pod).version)


# ---------------------------------------------------------------------------------------------
# ip6tables masquerade rules (bridge CNI without ip-masq-agent)
# ---------------------------------------------------------------------------------------------


def test_ipv6_masquerade_rules():
    assert egress.ipv6_masquerade_rules(PODS, SERVICES) == [
        {"chain": "POSTROUTING", "rule": ["-s", "fd00:10:244::/56", "-m", "comment", "--comment",
                                          "dualstack.kubernetes: masquerade IPv6 pod egress", "-j", "DUALSTACK-MASQ6"]},
        {"chain": "DUALSTACK-MASQ6", "rule": ["-d", "fd00:10:96::/112", "-j", "RETURN"]},
        {"chain": "DUALSTACK-MASQ6", "rule": ["-s", "fd00:10:244::/56", "!", "-d", "fd00:10:244::/56", "-j", "MASQUERADE"]},
    ]


def test_ipv6_masquerade_rules_options():
    rules = egress.ipv6_masquerade_rules("10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/16", chain="MY-MASQ6",
                                         nonmasq_cidrs=["2001:DB8:1::/64", "2001:db8:1::/64"])
    assert [r["rule"] for r in rules[1:]] == [
        ["-d", "2001:db8:1::/64", "-j", "RETURN"],
        ["-s", "fd00:10:244::/56", "!", "-d", "fd00:10:244::/56", "-j", "MASQUERADE"],
    ]
    assert rules[0]["rule"][-1] == "MY-MASQ6" and {r["chain"] for r in rules[1:]} == {"MY-MASQ6"}
    assert len(egress.ipv6_masquerade_rules(PODS)) == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"chain": "POSTROUTING"}, "is not a usable chain name"),
        ({"chain": "A" * 29}, "up to 28 letters"),
        ({"chain": "bad chain"}, "is not a usable chain name"),
        ({"nonmasq_cidrs": "192.168.0.0/16"}, "is not IPv6: these are ip6tables rules"),
        ({"service_cidrs": "fd00:10:96::/112,fd00:10:97::/112"}, "must be of different IP family"),
    ],
)
def test_ipv6_masquerade_rules_errors(kwargs, match):
    raises(match, egress.ipv6_masquerade_rules, PODS, **kwargs)


# ---------------------------------------------------------------------------------------------
# the way back (playbooks/rollback.yml): IPv6 off again
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--enable-ipv6=true"], None),
        (["--masq-chain=IP-MASQ", "--enable-ipv6=true", "--v=2"], ["--masq-chain=IP-MASQ", "--v=2"]),
        (["-enable-ipv6", "--enable-ipv6=false"], None),
        (["--v=2"], ["--v=2"]),
    ],
)
def test_ip_masq_agent_singlestack_daemonset(args, expected):
    ds = one("ip-masq-agent.yaml.txt", "DaemonSet")
    ds["spec"]["template"]["spec"]["containers"][0]["args"] = args
    container = egress.ip_masq_agent_singlestack(ds)["spec"]["template"]["spec"]["containers"][0]
    assert container.get("args") == expected


def test_ip_masq_agent_singlestack_round_trip_configmap_kept_and_errors():
    published = one("ip-masq-agent.yaml.txt", "DaemonSet")
    assert egress.ip_masq_agent_singlestack(egress.ip_masq_agent_dualstack(published, PODS)) == published
    dual_cm = egress.ip_masq_agent_dualstack(masq_configmap(), PODS)
    assert egress.ip_masq_agent_singlestack([dual_cm]) == [dual_cm], "IPv6 entries are inert once the agent's IPv6 is off"
    raises("is not the agent's ConfigMap or DaemonSet", egress.ip_masq_agent_singlestack, {"kind": "Service"})
    ds = copy.deepcopy(published)
    ds["spec"]["template"]["spec"]["containers"][0]["command"] = ["/ip-masq-agent", "--enable-ipv6=true"]
    raises("ip_masq_agent_singlestack: .* sets --enable-ipv6 in the container command", egress.ip_masq_agent_singlestack, ds)
