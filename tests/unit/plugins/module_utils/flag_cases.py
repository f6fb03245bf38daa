# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""What the component flag tests share: the fixture files of the module tests and random command lines (Hypothesis)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

from ansible_collections.dualstack.kubernetes.plugins.module_utils import flag_words

FIXTURES = Path(__file__).resolve().parent.parent / "modules" / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


# Hypothesis: random command lines and random changes. A Kubernetes component takes no
# positional arguments, so a line is its binary followed by flag units (each in one of the
# three styles) and unbraced $VAR words, which systemd expands into several words.
flag_names = st.sampled_from(["a", "b", "c", "node-ip", "v", "cluster_cidr", "cluster-cidr"])
flag_values = st.text(alphabet="abc019.:/,=-", min_size=0, max_size=6).filter(lambda v: not v.startswith("-"))
flag_unit = st.one_of(
    st.builds(lambda n, v: ["--%s=%s" % (n, v)], flag_names, flag_values),
    st.builds(lambda n: ["--" + n], flag_names),
    st.builds(lambda n, v: ["--" + n, v], flag_names, flag_values.filter(bool)),
    st.builds(lambda n, v: ["-%s=%s" % (n, v)], st.sampled_from(["v", "x"]), flag_values),
    st.just(["$KUBELET_EXTRA_ARGS"]),
)
command_line = st.lists(flag_unit, max_size=10).map(lambda units: ["kube-component"] + [w for unit in units for w in unit])
flag_changes = st.dictionaries(
    st.sampled_from(["a", "b", "c", "node-ip", "v", "cluster-cidr", "new-flag"]),
    st.one_of(st.none(), flag_values, st.booleans(), st.lists(st.sampled_from(["10.0.0.0/8", "fd00::/8"]), max_size=2)),
    max_size=5,
)
flag_units = st.lists(flag_unit, max_size=8)


def merged(words, rendered):
    """The flags ``words`` set once ``rendered`` (name to value or None) is applied."""
    expected = dict(flag_words.flags_map(words))
    for name, value in rendered.items():
        if value is None:
            expected.pop(name, None)
        else:
            expected[name] = value
    return expected
