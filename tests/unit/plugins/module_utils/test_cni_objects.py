# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The object helpers the CNI and egress transformations share (module_utils/cni_objects.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import cni_objects

from .cni_manifests import PODS, one, raises

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "kube-system"}}


@pytest.mark.parametrize(
    "objects, count",
    [(CM, 1), ([CM, CM], 2), ((CM,), 1), ({"kind": "ConfigMapList", "items": [CM, CM]}, 2), (None, 0), ([], 0)],
)
def test_objects_of_forms(objects, count):
    assert cni_objects.objects_of(objects, "t") == [CM] * count


def test_objects_of_refuses_what_is_not_an_object():
    raises("t: 'c' is not a Kubernetes object", cni_objects.objects_of, "c", "t")
    raises("is not a Kubernetes object", cni_objects.objects_of, [{"metadata": {}}], "t")


def test_map_objects_keeps_the_shape():
    def tag(item):
        return dict(item, seen=True)

    assert cni_objects.map_objects(CM, "t", "hint", tag) == dict(CM, seen=True)
    assert cni_objects.map_objects([CM], "t", "hint", tag) == [dict(CM, seen=True)]
    assert cni_objects.map_objects({"kind": "List", "items": []}, "t", "hint", tag) == []
    raises("t: no object given: hint", cni_objects.map_objects, None, "t", "hint", tag)


def test_object_name_and_expect_kind():
    assert cni_objects.object_name(CM) == "ConfigMap kube-system/c"
    assert cni_objects.object_name({"kind": "Node", "metadata": {"name": "n"}}) == "Node n"
    assert cni_objects.expect_kind([CM], ("ConfigMap",), "t", "hint") == CM
    raises("t takes one object, got 2: hint", cni_objects.expect_kind, [CM, CM], ("ConfigMap",), "t", "hint")
    raises("t: ConfigMap kube-system/c is not a DaemonSet: hint", cni_objects.expect_kind, CM, ("DaemonSet",), "t", "hint")


def test_canonical_cidr_or_error():
    assert str(cni_objects.canonical_cidr_or_error(" 10.1.2.3/16", "w")) == "10.1.0.0/16"
    assert str(cni_objects.canonical_cidr_or_error("FD00:10:244:0::/56", "w")) == "fd00:10:244::/56"
    raises("w: 'nonsense' is not a CIDR", cni_objects.canonical_cidr_or_error, "nonsense", "w")


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "mtu": __CNI_MTU__,\n  "name": "__KUBERNETES_NODE_NAME__"\n}',
        '{\n    "mtu": __CNI_MTU__\n}\n',
        '{"mtu": __CNI_MTU__, "type": "calico"}',
    ],
)
def test_embedded_json_round_trip_keeps_layout_and_bare_placeholders(text):
    value = cni_objects.load_embedded_json(text, "w")
    assert value["mtu"] == "@@dualstack-placeholder:__CNI_MTU__@@"
    assert cni_objects.dump_embedded_json(value, text) == text


def test_embedded_json_errors():
    raises("w is missing or not a string", cni_objects.load_embedded_json, None, "w")
    raises("w is not valid JSON", cni_objects.load_embedded_json, "{", "w")


def test_dual_pod_ranges():
    v4, v6 = cni_objects.dual_pod_ranges(PODS)
    assert (str(v4), str(v6)) == tuple(PODS)
    raises("existing IPv4 --cluster-cidr first", cni_objects.dual_pod_ranges, list(reversed(PODS)))
    raises("existing IPv4 --cluster-cidr first", cni_objects.dual_pod_ranges, PODS[:1])


def test_find_container_and_env():
    daemonset = one("calico.yaml.txt", "DaemonSet", "calico-node")
    container = cni_objects.find_container(daemonset, "calico-node", "t")
    assert container["name"] == "calico-node"
    assert cni_objects.find_container(daemonset, "x", "t") is container, "the only container, whatever its name"
    daemonset["spec"]["template"]["spec"]["containers"].append({"name": "sidecar"})
    raises(r"has no container named 'x' \(containers: calico-node, sidecar\)", cni_objects.find_container, daemonset, "x", "t")
    container["env"] = [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
    cni_objects.set_env(container, "A", "1")
    cni_objects.set_env(container, "B", "2")
    assert container["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert cni_objects.env_value(container, "B") == "2" and cni_objects.env_value(container, "C") is None
