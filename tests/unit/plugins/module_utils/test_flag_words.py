# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Flag words and edits of a command line (module_utils/flag_words.py): pflag's rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from ansible_collections.dualstack.kubernetes.plugins.module_utils import flag_words
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

from .flag_cases import command_line, flag_changes, merged


# --------------------------------------------------------------------------- flag words


@pytest.mark.parametrize(
    "word, expected",
    [
        ("--service-cluster-ip-range=10.96.0.0/12", ("service-cluster-ip-range", "10.96.0.0/12")),
        ("--allow-privileged", ("allow-privileged", None)),
        ("--feature-gates=A=true,B=false", ("feature-gates", "A=true,B=false")),
        ("--name=", ("name", "")),
        ("-v=2", ("v", "2")),
        ("--node_ip=10.0.0.1", ("node_ip", "10.0.0.1")),
    ],
)
def test_parse_flag(word, expected):
    assert flag_words.parse_flag(word) == expected


@pytest.mark.parametrize("word", ["kube-apiserver", "-", "--", "-999", "-/usr/bin/kubelet", "--=x", "$ARGS", ""])
def test_parse_flag_rejects_non_flags(word):
    assert not flag_words.is_flag(word)
    with pytest.raises(flag_words.ComponentFlagsError, match="not a command-line flag"):
        flag_words.parse_flag(word)


def test_error_is_the_collection_error():
    assert issubclass(flag_words.ComponentFlagsError, DualStackError)


def test_scan_flags_styles():
    words = ["kube-apiserver", "--a=1", "--b", "two", "--c", "-v=2", "--d", "-999", "--e", "$VARS"]
    found = flag_words.scan_flags(words)
    assert [(f.name, f.style, f.value) for f in found] == [
        ("a", "equals", "1"),
        ("b", "separate", "two"),
        ("c", "bare", None),
        ("v", "equals", "2"),
        ("d", "separate", "-999"),
        ("e", "bare", None),
    ]
    assert found[1].value_index == 3


def test_scan_flags_stops_at_terminator():
    assert [f.name for f in flag_words.scan_flags(["x", "--a=1", "--", "--b=2"])] == ["a"]


def test_flags_map_bare_is_true_and_last_wins():
    words = ["kubelet", "--a=1", "--flag", "--a=2", "--node_ip=10.0.0.1"]
    assert flag_words.flags_map(words) == {"flag": "true", "a": "2", "node-ip": "10.0.0.1"}
    assert list(flag_words.flags_map(words)) == ["flag", "a", "node-ip"]


# --------------------------------------------------------------------------- wanted values


@pytest.mark.parametrize(
    "value, expected",
    [
        (True, "true"),
        (False, "false"),
        (24, "24"),
        (1.5, "1.5"),
        ("10.96.0.0/12", "10.96.0.0/12"),
        (["10.244.0.0/16", "fd00:10:244::/56"], "10.244.0.0/16,fd00:10:244::/56"),
        ({"A": True, "B": False}, "A=true,B=false"),
        ([], ""),
    ],
)
def test_render_value(value, expected):
    assert flag_words.render_value(value) == expected


def test_render_value_rejects_other_types():
    with pytest.raises(flag_words.ComponentFlagsError, match="type object"):
        flag_words.render_value(object())


def test_normalize_changes():
    assert flag_words.normalize_changes({"--node_ip": ["10.0.0.1", "fd00::1"], "v": 2, "gone": None}) == {
        "node-ip": "10.0.0.1,fd00::1",
        "v": "2",
        "gone": None,
    }


@pytest.mark.parametrize("name", ["", "--", "a b", "a=b", "-"])
def test_normalize_changes_rejects_bad_names(name):
    with pytest.raises(flag_words.ComponentFlagsError, match="is not valid"):
        flag_words.normalize_changes({name: "x"})


def test_normalize_changes_rejects_two_spellings_of_one_flag():
    with pytest.raises(flag_words.ComponentFlagsError, match="name the same flag"):
        flag_words.normalize_changes({"node_ip": "a", "node-ip": "b"})


@pytest.mark.parametrize(
    "name, secret",
    [
        ("token", True),
        ("bootstrap-token", True),
        ("etcd_password", True),
        ("client-secret", True),
        ("token-auth-file", False),
        ("service-account-key-file", False),
        ("tls-private-key-file", False),
        ("service-cluster-ip-range", False),
    ],
)
def test_is_secret_flag(name, secret):
    assert flag_words.is_secret_flag(name) is secret


def test_secret_words_every_occurrence():
    words = ["x", "--token", "one", "--token=two", "--token-auth-file=/f", "--client_secret=three"]
    assert flag_words.secret_words(words) == ["one", "two", "three"]


def test_secret_values():
    assert flag_words.secret_values({"token": "abc", "node-ip": "1.2.3.4", "password": None}) == ["abc"]


# --------------------------------------------------------------------------- edits


def test_existing_flag_keeps_position_new_flags_at_end():
    words = ["kube-apiserver", "--a=1", "--b=2", "--c=3"]
    assert flag_words.apply_flags(words, {"b": "20", "z": "26"}) == ["kube-apiserver", "--a=1", "--b=20", "--c=3", "--z=26"]


def test_removal_takes_every_occurrence_and_separate_values():
    words = ["x", "--a=1", "--b", "v", "--a=2", "--c"]
    assert flag_words.apply_flags(words, {"a": None, "b": None, "c": None}) == ["x"]


def test_removing_an_absent_flag_changes_nothing():
    assert flag_words.plan_edits(["x", "--a=1"], {"b": None}) == []


def test_duplicate_flag_keeps_last_place_drops_earlier():
    words = ["x", "--a=1", "--b=2", "--a=3"]
    assert flag_words.apply_flags(words, {"a": "9"}) == ["x", "--b=2", "--a=9"]
    # Already right in the last occurrence: the earlier ones still go (slice flags collect them).
    assert flag_words.apply_flags(words, {"a": "3"}) == ["x", "--b=2", "--a=3"]


def test_separate_style_is_kept():
    assert flag_words.apply_flags(["x", "--a", "1", "--b=2"], {"a": "5"}) == ["x", "--a", "5", "--b=2"]


def test_separate_style_with_empty_value_becomes_equals():
    assert flag_words.apply_flags(["x", "--a", "1"], {"a": ""}) == ["x", "--a="]


def test_bare_boolean():
    words = ["x", "--enable"]
    assert flag_words.plan_edits(words, {"enable": "true"}) == []
    assert flag_words.apply_flags(words, {"enable": "false"}) == ["x", "--enable=false"]


def test_short_prefix_and_underscores_kept():
    words = ["x", "-v=2", "--node_ip=1.1.1.1"]
    assert flag_words.apply_flags(words, {"v": "4", "node-ip": "2.2.2.2"}) == ["x", "-v=4", "--node_ip=2.2.2.2"]


def test_new_flag_after_terminator_is_refused():
    with pytest.raises(flag_words.ComponentFlagsError, match="terminator"):
        flag_words.plan_edits(["x", "--", "y"], {"a": "1"})


def test_plan_edits_renders_raw_values():
    assert flag_words.apply_flags(["x"], {"a": True, "b": ["1", "2"]}) == ["x", "--a=true", "--b=1,2"]


@settings(max_examples=300, deadline=None)
@given(command_line, flag_changes)
def test_apply_flags_is_idempotent_and_merges(words, changes):
    rendered = {name: None if value is None else flag_words.render_value(value) for name, value in changes.items()}
    once = flag_words.apply_flags(words, rendered)
    assert flag_words.apply_flags(once, rendered) == once
    assert flag_words.plan_edits(once, rendered) == []
    assert flag_words.flags_map(once) == merged(words, rendered)
    # Words that are not flags (and not values of flags) stay where they were.
    assert once[0] == "kube-component"
