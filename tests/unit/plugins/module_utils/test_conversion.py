"""Checks of a target's ranges against the running cluster (module_utils/conversion.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import conversion
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


@pytest.mark.parametrize(
    "current, target",
    [
        ("10.96.0.0/16", "10.96.0.0/16,fd00:10:96::/112"),
        ("10.96.0.0/16", "10.96.0.0/16"),
        ("10.96.0.0/16,fd00:10:96::/112", "10.96.0.0/16,FD00:10:96::/112"),
    ],
)
def test_keeps_current(current, target):
    assert conversion.check_keeps_current(current, target, "Service ranges", "--service-cluster-ip-range")[0] == "10.96.0.0/16"


@pytest.mark.parametrize(
    "current, target, words",
    [
        ("10.96.0.0/16", "fd00:10:96::/112,10.96.0.0/16", "does not keep the current --service-cluster-ip-range[0]=10.96.0.0/16"),
        ("10.96.0.0/16", "10.97.0.0/16,fd00:10:96::/112", "MUST NOT change IP families"),
        ("10.96.0.0/16", "10.96.0.0/12,fd00:10:96::/112", "existing ranges must stay unchanged"),
        ("10.96.0.0/16,fd00:10:96::/112", "10.96.0.0/16", "--service-cluster-ip-range[1]=fd00:10:96::/112"),
        ("10.96.0.0/16,fd00:10:96::/112", "10.96.0.0/16,fd00:10:97::/112", "does not keep"),
        ("", "10.96.0.0/16,fd00:10:96::/112", "could not be read"),
    ],
)
def test_keeps_current_errors(current, target, words):
    with pytest.raises(DualStackError) as err:
        conversion.check_keeps_current(current, target, "Service ranges", "--service-cluster-ip-range")
    assert words in str(err.value)


def test_keeps_current_suggests_the_fix():
    with pytest.raises(DualStackError) as err:
        conversion.check_keeps_current("10.244.0.0/16", "fd00:10:244::/56,10.244.0.0/16", "pod ranges", "--cluster-cidr")
    assert "Use 10.244.0.0/16,fd00:10:244::/56" in str(err.value)
    assert "failed to mark cidr" in str(err.value)


def test_control_planes_agree():
    assert conversion.check_control_planes_agree({"cp1": "10.96.0.0/16", "cp2": "10.96.0.0/16"}, "x") == "10.96.0.0/16"
    with pytest.raises(DualStackError, match="control-plane nodes disagree on --service-cluster-ip-range"):
        conversion.check_control_planes_agree({"cp1": "10.96.0.0/16", "cp2": "10.96.0.0/12"}, "--service-cluster-ip-range")


def test_ipv6_must_be_enabled():
    conversion.check_ipv6_enabled("w1", "0\n")
    with pytest.raises(DualStackError, match="net.ipv6.conf.all.disable_ipv6=1"):
        conversion.check_ipv6_enabled("w1", "1\n")


def _pool(name, cidr, disabled=False):
    return {"metadata": {"name": name}, "spec": {"cidr": cidr, "disabled": disabled}}


def test_current_pod_range_is_the_flag_when_set():
    assert conversion.current_pod_cidrs({"cp1": "10.244.0.0/16"}, "10.96.0.0/16", [_pool("p", "192.168.0.0/16")]) == "10.244.0.0/16"


def test_current_pod_range_without_cluster_cidr_is_calicos_enabled_pool_of_the_primary_family():
    pools = [_pool("default-ipv4-ippool", "192.168.0.0/16"), _pool("old", "172.16.0.0/16", disabled=True),
             _pool("v6", "fd00:10:244::/56")]
    assert conversion.current_pod_cidrs({"cp1": None}, "10.96.0.0/16", pools) == "192.168.0.0/16"
    assert conversion.current_pod_cidrs({}, "fd00:10:96::/112", pools) == "fd00:10:244::/56"


def test_current_pod_range_without_cluster_cidr_names_what_is_missing():
    with pytest.raises(DualStackError, match=r"without --cluster-cidr and no CNI IP pool of the primary family \(IPv4\)"):
        conversion.current_pod_cidrs({"cp1": None}, "10.96.0.0/16", [])
    with pytest.raises(DualStackError, match=r"2 enabled IPv4 pools \(a 10.1.0.0/16, b 10.2.0.0/16\)"):
        conversion.current_pod_cidrs({"cp1": ""}, "10.96.0.0/16", [_pool("a", "10.1.0.0/16"), _pool("b", "10.2.0.0/16")])


def test_control_planes_agree_on_a_picked_part():
    flags = {"cp1": {"node-cidr-mask-size": "24", "v": "2"}, "cp2": {"node-cidr-mask-size": "24", "v": "3"}}

    def masks(f):
        return {k: v for k, v in f.items() if k.startswith("node-cidr")}

    assert conversion.check_control_planes_agree(flags, "masks", key=masks)["node-cidr-mask-size"] == "24"
    assert conversion.check_control_planes_agree({}, "masks") is None
