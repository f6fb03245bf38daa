"""DNS of dual-stack Services: nslookup output, the cluster domain, the records check."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import dns_records as dns
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

BUSYBOX_A = """Server:\t\t10.96.0.10
Address:\t10.96.0.10:53

Name:\tsvc-ipv4-ipv6.dualstack-verify.svc.cluster.local
Address: 10.96.23.4

"""
BUSYBOX_AAAA_V6_SERVER = """Server:\t\tfd00:10:96::a
Address:\t[fd00:10:96::a]:53

Name:\tsvc-ipv4-ipv6.dualstack-verify.svc.cluster.local
Address: fd00:10:96::3:bd1

"""
BUSYBOX_NO_ANSWER = """Server:\t\t10.96.0.10
Address:\t10.96.0.10:53

*** Can't find svc-ipv4.dualstack-verify.svc.cluster.local.: No answer

"""
BIND_A_HEADLESS = """Server:\t\t10.96.0.10
Address:\t10.96.0.10#53

Name:\tsvc-headless.dualstack-verify.svc.cluster.local
Address: 10.244.1.5
Name:\tsvc-headless.dualstack-verify.svc.cluster.local
Address: 10.244.0.7

"""
BIND_OLD_AAAA = """Server:\t\t10.96.0.10
Address:\t10.96.0.10#53

svc-ipv6.dualstack-verify.svc.cluster.local\thas AAAA address fd00:10:96::1f

"""
BIND_NXDOMAIN = """Server:\t\t10.96.0.10
Address:\t10.96.0.10#53

** server can't find nope.dualstack-verify.svc.cluster.local: NXDOMAIN

"""
BUSYBOX_OLD = """Server:    10.96.0.10
Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local

Name:      kubernetes.default.svc.cluster.local
Address 1: 10.96.0.1 kubernetes.default.svc.cluster.local
"""


@pytest.mark.parametrize("text, addresses", [
    (BUSYBOX_A, ["10.96.23.4"]),
    (BUSYBOX_AAAA_V6_SERVER, ["fd00:10:96::3:bd1"]),
    (BUSYBOX_NO_ANSWER, []),
    (BIND_A_HEADLESS, ["10.244.1.5", "10.244.0.7"]),
    (BIND_OLD_AAAA, ["fd00:10:96::1f"]),
    (BIND_NXDOMAIN, []),
    (BUSYBOX_OLD, ["10.96.0.1"]),
    ("Non-authoritative answer:\nName: x\nAddress: FD00::0:1\n", ["fd00::1"]),
    ("", []),
    (None, []),
])
def test_nslookup_addresses(text, addresses):
    assert dns.nslookup_addresses(text) == addresses


RESOLV = """search dualstack-verify.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
"""


def test_cluster_domain():
    assert dns.cluster_domain(RESOLV, "dualstack-verify") == "cluster.local"
    assert dns.cluster_domain(RESOLV.replace("cluster.local", "k8s.example.org."), "dualstack-verify") == "k8s.example.org"


@pytest.mark.parametrize("text", ["nameserver 192.0.2.53\n", RESOLV.replace("dualstack-verify", "other"), None])
def test_cluster_domain_without_cluster_dns(text):
    with pytest.raises(DualStackError, match="search dualstack-verify.svc.<domain>"):
        dns.cluster_domain(text, "dualstack-verify")


DUAL = ["IPv4", "IPv6"]
CIPS = ["10.96.23.4", "fd00:10:96::3:bd1"]


def test_clusterip_service_one_record_per_family():
    assert dns.dns_records_check(["10.96.23.4"], ["fd00:10:96::3:bd1"], DUAL, cluster_ips=CIPS) == {
        "ok": True, "detail": "A 10.96.23.4; AAAA fd00:10:96::3:bd1"}
    # IPv6 primary: same records, other order of clusterIPs and families.
    assert dns.dns_records_check(["10.96.23.4"], ["fd00:10:96::3:bd1"], ["IPv6", "IPv4"],
                                 cluster_ips=list(reversed(CIPS)))["ok"]


@pytest.mark.parametrize("a, aaaa, words", [
    (["10.96.23.4"], [], "0 AAAA records, 1 expected"),
    (["10.96.23.4", "10.96.23.4"], ["fd00:10:96::3:bd1"], "2 A records, 1 expected"),
    (["10.96.23.5"], ["fd00:10:96::3:bd1"], "records are not the clusterIPs"),
    (["fd00:10:96::3:bd1"], ["fd00:10:96::3:bd1"], "wrong family"),
])
def test_clusterip_service_failures(a, aaaa, words):
    result = dns.dns_records_check(a, aaaa, DUAL, cluster_ips=CIPS)
    assert not result["ok"] and words in result["detail"]


def test_single_stack_cluster_expects_one_family_only():
    assert dns.dns_records_check(["10.96.0.8"], [], ["IPv4"], cluster_ips=["10.96.0.8"])["ok"]
    result = dns.dns_records_check(["10.96.0.8"], ["fd00::8"], ["IPv4"], cluster_ips=["10.96.0.8"])
    assert not result["ok"] and "1 AAAA record(s) on a cluster without IPv6" in result["detail"]


PODS = ["10.244.0.7", "fd00:10:244::7", "10.244.1.5", "fd00:10:244:1::5"]


def test_headless_service_pod_records():
    result = dns.dns_records_check(["10.244.1.5", "10.244.0.7"], ["fd00:10:244::7", "fd00:10:244:1::5"], DUAL,
                                   pod_ips=PODS)
    assert result == {"ok": True, "detail": "A 10.244.1.5, 10.244.0.7; AAAA fd00:10:244::7, fd00:10:244:1::5"}
    assert dns.dns_records_check(["10.244.1.5"], [], ["IPv4"], pod_ips=PODS[::2])["ok"]


@pytest.mark.parametrize("a, aaaa, words", [
    (["10.244.1.5"], [], "no AAAA record"),
    ([], ["fd00:10:244::7"], "no A record"),
    (["10.244.1.5", "10.96.0.3"], ["fd00:10:244::7"], "not a podIP: 10.96.0.3"),
])
def test_headless_service_failures(a, aaaa, words):
    result = dns.dns_records_check(a, aaaa, DUAL, pod_ips=PODS)
    assert not result["ok"] and words in result["detail"]


@pytest.mark.parametrize("kwargs, words", [
    ({"families": ["IPv5"]}, "families"),
    ({"families": []}, "families"),
    ({}, "either cluster_ips"),
    ({"cluster_ips": [], "pod_ips": []}, "either cluster_ips"),
])
def test_dns_records_check_refuses(kwargs, words):
    args = {"a_records": [], "aaaa_records": [], "families": DUAL, **kwargs}
    with pytest.raises(DualStackError, match=words):
        dns.dns_records_check(**args)
