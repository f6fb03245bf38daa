"""The rollback_plan filter: a thin, documented wrapper of module_utils.rollback.rollback_plan."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dualstack.kubernetes.plugins.filter import rollback_plan as module

CURRENT = {
    "service_cidrs": {"cp1": "10.96.0.0/16,fd00:10:96::/112"},
    "pod_cidrs": {"cp1": "10.244.0.0/16,fd00:10:244::/56"},
    "node_ips": {"cp1": "192.168.77.11,fd00:77::11"},
}


def rollback_plan(*args, **kwargs):
    return module.FilterModule().filters()["rollback_plan"](*args, **kwargs)


def test_one_documented_filter():
    assert list(module.FilterModule().filters()) == ["rollback_plan"]
    for block in (module.DOCUMENTATION, module.EXAMPLES, module.RETURN):
        assert block.strip()
    assert "name: rollback_plan" in module.DOCUMENTATION


def test_the_documented_example_plans_ipv4_only():
    plan = rollback_plan(CURRENT, kube_version="v1.34.12")
    assert plan["mode"] == "rollback"
    assert plan["families"] == ["IPv4"] and plan["dropped_family"] == "IPv6"
    assert plan["kube-apiserver"]["service-cluster-ip-range"] == "10.96.0.0/16"
    assert plan["kube-controller-manager"]["cluster-cidr"] == "10.244.0.0/16"
    assert plan["kubelet"]["cp1"]["node-ip"] == "192.168.77.11"


def test_errors_name_the_filter():
    with pytest.raises(AnsibleFilterError, match="^rollback_plan: control-plane nodes disagree on --service-cluster-ip-range"):
        rollback_plan(dict(CURRENT, service_cidrs={"cp1": "10.96.0.0/16", "cp2": "10.97.0.0/16"}), kube_version="1.34")
