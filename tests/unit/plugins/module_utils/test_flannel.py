# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""flannel's net-conf.json (module_utils/flannel.py), against the published manifests in fixtures/cni/."""

from __future__ import annotations

import copy
import ipaddress
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dualstack.kubernetes.plugins.module_utils import flannel
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

from .cni_manifests import PODS, one, raises

FLANNEL_FIXTURES = ["kube-flannel.yml.txt", "kube-flannel-v0.20.2.yml.txt"]


# ---------------------------------------------------------------------------------------------
# IPv6 on
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FLANNEL_FIXTURES)
def test_flannel_published_configmap(fixture):
    before = one(fixture, "ConfigMap", "kube-flannel-cfg")
    pristine = copy.deepcopy(before)
    after = flannel.flannel_dualstack(before, PODS)
    assert before == pristine, "input must not be changed"
    assert after["data"]["net-conf.json"] == (
        "{\n"
        '  "Network": "10.244.0.0/16",\n'
        '  "IPv6Network": "fd00:10:244::/56",\n'
        '  "EnableIPv6": true,\n'
        '  "Backend": {\n'
        '    "Type": "vxlan"\n'
        "  }\n"
        "}\n"
    )
    assert after["data"]["cni-conf.json"] == before["data"]["cni-conf.json"]
    assert after["metadata"] == before["metadata"]
    assert {k: v for k, v in after.items() if k != "data"} == {k: v for k, v in before.items() if k != "data"}


@pytest.mark.parametrize("fixture", FLANNEL_FIXTURES)
def test_flannel_idempotent(fixture):
    once = flannel.flannel_dualstack(one(fixture, "ConfigMap"), PODS)
    assert flannel.flannel_dualstack(once, PODS) == once
    assert flannel.flannel_dualstack(once, "10.244.0.0/16, FD00:10:244:0::/56") == once


def test_flannel_pod_cidrs_forms_and_canonical_output():
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    out = flannel.flannel_dualstack(cm, "10.244.0.0/16,FD00:10:244:0::/56")
    assert json.loads(out["data"]["net-conf.json"])["IPv6Network"] == "fd00:10:244::/56"


def test_flannel_keeps_other_keys_order_and_compact_form():
    # Derived from the fixture: the current upstream manifest also carries "EnableNFTables"; one-line JSON as
    # some installers write it.
    cm = one("kube-flannel-v0.20.2.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = '{"Network": "10.244.0.0/16", "EnableNFTables": false, "Backend": {"Type": "host-gw"}}'
    out = flannel.flannel_dualstack(cm, PODS)["data"]["net-conf.json"]
    assert out == ('{"Network": "10.244.0.0/16", "IPv6Network": "fd00:10:244::/56", "EnableIPv6": true, '
                   '"EnableNFTables": false, "Backend": {"Type": "host-gw"}}')


def test_flannel_existing_ipv6network_with_ipv6_disabled_is_switched_on_in_place():
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = (
        '{\n  "Network": "10.244.0.0/16",\n  "EnableIPv6": false,\n  "IPv6Network": "fd00:10:244::/56",\n'
        '  "Backend": {\n    "Type": "vxlan"\n  }\n}\n'
    )
    out = flannel.flannel_dualstack(cm, PODS)["data"]["net-conf.json"]
    assert list(json.loads(out)) == ["Network", "EnableIPv6", "IPv6Network", "Backend"]
    assert json.loads(out)["EnableIPv6"] is True


def test_flannel_enable_ipv6_false_without_network_is_replaced_after_network():
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = '{"EnableIPv6": false, "Network": "10.244.0.0/16"}'
    out = json.loads(flannel.flannel_dualstack(cm, PODS)["data"]["net-conf.json"])
    assert list(out) == ["Network", "IPv6Network", "EnableIPv6"] and out["EnableIPv6"] is True


def test_flannel_network_must_be_the_primary_pod_range():
    message = raises("is not the cluster's primary pod range", flannel.flannel_dualstack,
                     one("kube-flannel.yml.txt", "ConfigMap"), ["10.42.0.0/16", "fd00:10:244::/56"])
    assert "10.244.0.0/16" in message and "10.42.0.0/16" in message and "--cluster-cidr[0]" in message


def test_flannel_other_ipv6network_is_refused():
    cm = flannel.flannel_dualstack(one("kube-flannel.yml.txt", "ConfigMap"), ["10.244.0.0/16", "fd00:99::/56"])
    message = raises("IPv6Network is already fd00:99::/56", flannel.flannel_dualstack, cm, PODS)
    assert "fd00:10:244::/56" in message and "cannot move its range" in message


@pytest.mark.parametrize(
    "conf, match",
    [
        ('{"EnableIPv4": false, "EnableIPv6": true, "IPv6Network": "fd00::/56"}', "IPv6-only"),
        ('{"Backend": {"Type": "vxlan"}}', "has no Network"),
        ('{"Network": "10.244.0.0/16", "Backend": {"Type": "udp"}}', "carries IPv4 only"),
        ('{"Network": "10.244.0.0/16", "Backend": {"Type": "ipip"}}', "switch the backend to vxlan"),
        ('{"Network": "10.244.0.0/16", "Backend": {"Type": "ipsec"}}', "only vxlan, host-gw and wireguard backends support"),
        ('{"Network": "10.244.0.0/16",', "is not valid JSON"),
        ('["10.244.0.0/16"]', "is not a JSON object"),
        ('{"Network": "10.244.0.0/33"}', "is not a CIDR"),
    ],
)
def test_flannel_net_conf_errors(conf, match):
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = conf
    raises(match, flannel.flannel_dualstack, cm, PODS)


def test_flannel_wrong_objects():
    raises("is not a ConfigMap", flannel.flannel_dualstack, one("kube-flannel.yml.txt", "DaemonSet"), PODS)
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    del cm["data"]["net-conf.json"]
    raises("has no data key net-conf.json", flannel.flannel_dualstack, cm, PODS)
    raises("not a Kubernetes object", flannel.flannel_dualstack, "kube-flannel-cfg", PODS)
    raises("takes one object", flannel.flannel_dualstack, [one("kube-flannel.yml.txt", "ConfigMap")] * 2, PODS)


@pytest.mark.parametrize(
    "pods", ["10.244.0.0/16", ["fd00:10:244::/56", "10.244.0.0/16"], "fd00:10:244::/56", ""]
)
def test_flannel_needs_both_ranges_ipv4_first(pods):
    with pytest.raises(DualStackError):
        flannel.flannel_dualstack(one("kube-flannel.yml.txt", "ConfigMap"), pods)


@settings(max_examples=60, deadline=None)
@given(
    v4=st.integers(min_value=8, max_value=24).flatmap(
        lambda p: st.builds(lambda a: ipaddress.ip_network((a << (32 - p), p)), st.integers(2 ** (p - 8) * 10, 2 ** (p - 8) * 11 - 1))
    ),
    v6=st.integers(min_value=40, max_value=64).flatmap(
        lambda p: st.builds(lambda a: ipaddress.ip_network((a << (128 - p), p)), st.integers(2 ** (p - 8) * 0xFD, 2 ** (p - 8) * 0xFE - 1))
    ),
    indent=st.sampled_from([None, 2, 4]),
)
def test_flannel_idempotent_property(v4, v6, indent):
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = json.dumps({"Network": str(v4), "Backend": {"Type": "vxlan"}}, indent=indent)
    once = flannel.flannel_dualstack(cm, [str(v4), str(v6)])
    assert flannel.flannel_dualstack(once, [str(v4), str(v6)]) == once
    conf = json.loads(once["data"]["net-conf.json"])
    assert conf == {"Network": str(v4), "IPv6Network": str(v6), "EnableIPv6": True, "Backend": {"Type": "vxlan"}}
    assert ("\n" in once["data"]["net-conf.json"]) == (indent is not None)
    assert flannel.flannel_singlestack(once) == cm, "the way back gives the original text"


@pytest.mark.parametrize("backend", ["vxlan", "host-gw", "wireguard", "VXLAN"])
def test_flannel_dual_stack_backends(backend):
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = json.dumps({"Network": "10.244.0.0/16", "Backend": {"Type": backend}})
    assert json.loads(flannel.flannel_dualstack(cm, PODS)["data"]["net-conf.json"])["EnableIPv6"] is True


# ---------------------------------------------------------------------------------------------
# the way back (playbooks/rollback.yml): IPv6 off again
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FLANNEL_FIXTURES)
def test_flannel_singlestack_round_trip_and_idempotent(fixture):
    published = one(fixture, "ConfigMap", "kube-flannel-cfg")
    dual = flannel.flannel_dualstack(published, PODS)
    pristine = copy.deepcopy(dual)
    back = flannel.flannel_singlestack(dual)
    assert dual == pristine, "input must not be changed"
    assert back == published, "byte for byte the published net-conf.json again"
    assert flannel.flannel_singlestack(back) == back == flannel.flannel_singlestack(published)


def test_flannel_singlestack_drops_a_disabled_ipv6network_and_keeps_the_rest():
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = ('{"Network": "10.244.0.0/16", "EnableIPv6": false, "IPv6Network": "fd00:10:244::/56", '
                                   '"EnableNFTables": true, "Backend": {"Type": "host-gw"}}')
    out = flannel.flannel_singlestack(cm)["data"]["net-conf.json"]
    assert out == '{"Network": "10.244.0.0/16", "EnableNFTables": true, "Backend": {"Type": "host-gw"}}'


@pytest.mark.parametrize(
    "conf, match",
    [
        ('{"EnableIPv4": false, "EnableIPv6": true, "IPv6Network": "fd00::/56"}', "has no IPv4 Network"),
        ('{"EnableIPv6": true, "IPv6Network": "fd00::/56"}', "flannel would be left without any pod range"),
        ("[1]", "is not a JSON object"),
        ("{", "is not valid JSON"),
    ],
)
def test_flannel_singlestack_errors(conf, match):
    cm = one("kube-flannel.yml.txt", "ConfigMap")
    cm["data"]["net-conf.json"] = conf
    raises(match, flannel.flannel_singlestack, cm)
    raises("is not a ConfigMap", flannel.flannel_singlestack, one("kube-flannel.yml.txt", "DaemonSet"))
    del cm["data"]["net-conf.json"]
    raises("has no data key net-conf.json", flannel.flannel_singlestack, cm)
