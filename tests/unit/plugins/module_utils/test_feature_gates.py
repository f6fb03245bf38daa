"""IPv6DualStack handling in plugins/module_utils/feature_gates.py, per version."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.feature_gates import (
    feature_gates,
    gates_flag,
    host_gates,
    parse_feature_gates,
)


@pytest.mark.parametrize(
    "current, version, expected",
    [
        # 1.16-1.20: ensure true
        ("", "1.16", "IPv6DualStack=true"),
        (None, "v1.20.15", "IPv6DualStack=true"),
        ({}, "1.18", "IPv6DualStack=true"),
        ("IPv6DualStack=false", "1.19", "IPv6DualStack=true"),
        ("A=true,IPv6DualStack=false,B=false", "1.17.3", "A=true,IPv6DualStack=true,B=false"),
        ("EndpointSlice=True", "v1.19.0-rc.2", "EndpointSlice=true,IPv6DualStack=true"),
        ({"A": True, "B": "false"}, "1.20", "A=true,B=false,IPv6DualStack=true"),
        # 1.21-1.24: false -> true, add nothing
        ("", "1.21", ""),
        ("A=true", "1.22", "A=true"),
        ("IPv6DualStack=false", "1.23", "IPv6DualStack=true"),
        ("A=false,IPv6DualStack=false", "v1.24.17", "A=false,IPv6DualStack=true"),
        ("IPv6DualStack=true,A=true", "1.24", "IPv6DualStack=true,A=true"),
        # 1.25+: removed
        ("IPv6DualStack=true", "1.25", ""),
        ("IPv6DualStack=false,A=true", "1.30", "A=true"),
        ({"IPv6DualStack": True, "GracefulNodeShutdown": True}, "v1.34.4", "GracefulNodeShutdown=true"),
        ("A=TRUE, B=False ,", "1.33", "A=true,B=false"),
        ("", "2.0", ""),
        # a name given twice keeps its last value at its first position
        ("A=true,B=true,A=false", "1.30", "A=false,B=true"),
        ("IPv6DualStack=true,IPv6DualStack=false", "1.22", "IPv6DualStack=true"),
    ],
)
def test_feature_gates(current, version, expected):
    assert feature_gates(current, version) == expected


@pytest.mark.parametrize(
    "current, version, words",
    [
        ("", "1.15", "no IPv4/IPv6 dual-stack support"),
        ("", "v1.10.0", "first implemented in 1.16"),
        ("", "lts", "not a Kubernetes version"),
        ("IPv6DualStack", "1.19", "missing bool value for IPv6DualStack"),
        ("A=yes", "1.30", "invalid value of A=yes"),
        ({"A": None}, "1.30", "invalid value of A"),
        ("=true", "1.30", "empty name"),
        (["A=true"], "1.30", "expected a string"),
        (7, "1.30", "expected a string"),
    ],
)
def test_feature_gates_errors(current, version, words):
    with pytest.raises(DualStackError, match=words):
        feature_gates(current, version)


gate_names = st.sampled_from(["IPv6DualStack", "A", "B", "CSIMigration", "TopologyAwareHints"])
gate_maps = st.dictionaries(gate_names, st.booleans(), max_size=5)
versions = st.tuples(st.integers(16, 40)).map(lambda t: "1.%d" % t[0])


@settings(max_examples=300, deadline=None)
@given(gate_maps, versions)
def test_feature_gates_properties(gates, version):
    out = feature_gates(gates, version)
    again = feature_gates(out, version)
    assert again == out  # idempotent
    parsed = dict(parse_feature_gates(out))
    minor = int(version.split(".")[1])
    if minor >= 25:
        assert "IPv6DualStack" not in parsed
    elif minor >= 21:
        assert parsed.get("IPv6DualStack", True) is True
        assert ("IPv6DualStack" in parsed) == ("IPv6DualStack" in gates)
    else:
        assert parsed["IPv6DualStack"] is True
    # other gates untouched, order kept
    others_in = [(k, v) for k, v in gates.items() if k != "IPv6DualStack"]
    others_out = [(k, v) for k, v in parse_feature_gates(out) if k != "IPv6DualStack"]
    assert others_in == others_out


@pytest.mark.parametrize(
    "current, version, expected",
    [
        # No flag and nothing needed: the flag is left alone (not added empty).
        ("", "1.34", {}),
        (None, "1.21", {}),
        # A flag naming only the gate that is gone: removed.
        ("IPv6DualStack=true", "1.25", {"feature-gates": None}),
        # Other gates kept, in order.
        ("A=true,IPv6DualStack=true,B=false", "v1.34.12", {"feature-gates": "A=true,B=false"}),
        ("A=true", "1.33", {"feature-gates": "A=true"}),
        ("IPv6DualStack=false", "1.22", {"feature-gates": "IPv6DualStack=true"}),
    ],
)
def test_gates_flag(current, version, expected):
    assert gates_flag(current, version) == expected


def test_host_gates_per_host_and_component_from_what_preflight_read():
    flags = {
        "cp1": {"kube-apiserver": {"feature-gates": "IPv6DualStack=true,X=true"}, "kube-controller-manager": {},
                "kubelet": {"node-ip": "192.168.77.11", "feature-gates": "IPv6DualStack=true"}},
        "w1": {"kubelet": {"node-ip": "192.168.77.21"}, "kube-proxy": {"feature-gates": "Y=false"}},
        "w2": {"kubelet": {}, "something-else": {"feature-gates": "IPv6DualStack=true"}},
    }
    assert host_gates(flags, "1.34") == {
        "cp1": {"kube-apiserver": {"feature-gates": "X=true"}, "kube-controller-manager": {},
                "kubelet": {"feature-gates": None}},
        "w1": {"kube-proxy": {"feature-gates": "Y=false"}, "kubelet": {}},
        "w2": {"kubelet": {}},
    }


def test_host_gates_names_the_bad_value():
    with pytest.raises(DualStackError, match="IPv6DualStack=maybe"):
        host_gates({"cp1": {"kubelet": {"feature-gates": "IPv6DualStack=maybe"}}}, "1.34")
