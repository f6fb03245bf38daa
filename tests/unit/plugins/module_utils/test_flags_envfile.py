# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Flags in an environment file such as kubeadm-flags.env (module_utils/flags_envfile.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dualstack.kubernetes.plugins.module_utils import flag_words, flags_envfile

from .flag_cases import fixture, flag_changes, flag_units, merged


def test_patch_reports_secrets_before_and_after():
    result = flags_envfile.patch_env_text('ARGS="--token=old --a=1"\n', {"token": "new"})
    assert result.secrets == ["old", "new"]


@settings(max_examples=200, deadline=None)
@given(flag_units, flag_changes, st.sampled_from(['"', "'", ""]))
def test_env_patch_is_idempotent_and_merges(units, changes, quote):
    rendered = flag_words.normalize_changes(changes)
    words = [w for unit in units for w in unit]
    head, tail = "# top\nOTHER='x y'\n", "\n# end"
    text = head + "ARGS=" + quote + " ".join(words) + quote + tail
    first = flags_envfile.patch_env_text(text, rendered, env_var="ARGS")
    again = flags_envfile.patch_env_text(first.text, rendered, env_var="ARGS")
    assert again.text == first.text and not again.changed
    assert first.flags == merged(words, rendered)
    assert flags_envfile.patch_env_text(first.text, {}, env_var="ARGS").flags == first.flags
    assert first.text.startswith(head + "ARGS=") and first.text.endswith(tail)


ENV = fixture("kubeadm-flags.env")


def test_env_edit_keeps_other_bytes():
    result = flags_envfile.patch_env_text(ENV, {"node-ip": "172.18.0.2,fc00:f853:ccd:e793::2"})
    assert result.text == ENV.replace("--node-ip=172.18.0.2 ", "--node-ip=172.18.0.2,fc00:f853:ccd:e793::2 ")
    assert result.format == "env" and result.changed


def test_env_append_remove_and_no_trailing_newline():
    text = "# written by hand\nA=1\nKUBELET_KUBEADM_ARGS=\"--x=1 --y=2\"\nB='keep me'"
    result = flags_envfile.patch_env_text(text, {"x": None, "z": True}, env_var="KUBELET_KUBEADM_ARGS")
    assert result.text == "# written by hand\nA=1\nKUBELET_KUBEADM_ARGS=\"--y=2 --z=true\"\nB='keep me'"
    assert result.diff_before == 'KUBELET_KUBEADM_ARGS="--x=1 --y=2"\n'
    assert result.diff_after == 'KUBELET_KUBEADM_ARGS="--y=2 --z=true"\n'


def test_env_empty_unquoted_value_gets_quotes_when_it_grows():
    result = flags_envfile.patch_env_text("KUBELET_EXTRA_ARGS=\n", {"node-ip": "10.0.0.1"})
    assert result.text == "KUBELET_EXTRA_ARGS=--node-ip=10.0.0.1\n"
    result = flags_envfile.patch_env_text(result.text, {"v": 2})
    assert result.text == 'KUBELET_EXTRA_ARGS="--node-ip=10.0.0.1 --v=2"\n'


def test_env_empty_quoted_value_and_crlf():
    result = flags_envfile.patch_env_text('KUBELET_KUBEADM_ARGS=""\r\n', {"a": "1"})
    assert result.text == 'KUBELET_KUBEADM_ARGS="--a=1"\r\n'


def test_env_last_assignment_is_edited():
    text = 'ARGS="--a=1"\nARGS="--a=2"\n'
    result = flags_envfile.patch_env_text(text, {"a": "3"})
    assert result.text == 'ARGS="--a=1"\nARGS="--a=3"\n'
    assert result.flags == {"a": "3"}


def test_env_separate_style_kept():
    result = flags_envfile.patch_env_text('ARGS="--a 1 --b=2"\n', {"a": "5"})
    assert result.text == 'ARGS="--a 5 --b=2"\n'


def test_env_removing_first_word_keeps_spacing():
    result = flags_envfile.patch_env_text('ARGS="  --a=1   --b=2 "\n', {"a": None})
    assert result.text == 'ARGS="  --b=2 "\n'


def test_env_kind_style_line_with_an_empty_value():
    text = (
        'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock '
        '--node-ip=172.18.0.2 --node-labels= --provider-id=kind://docker/kind/kind-control-plane"\n'
    )
    result = flags_envfile.patch_env_text(text, {"node-ip": "172.18.0.2,fc00:f853:ccd:e793::2"})
    assert result.flags["node-labels"] == ""
    assert result.text == text.replace("--node-ip=172.18.0.2 ", "--node-ip=172.18.0.2,fc00:f853:ccd:e793::2 ")
    assert flags_envfile.patch_env_text(text, {"node-labels": ""}).changed is False


def test_env_unchanged_returns_same_text():
    result = flags_envfile.patch_env_text(ENV, {"node-ip": "172.18.0.2"})
    assert result.text == ENV and not result.changed


@pytest.mark.parametrize(
    "text, env_var, match",
    [
        ("A=1\nB=2\n", None, r"several variables \(A, B\): set env_var"),
        ("# nothing\n", None, "no variable"),
        ("A=1\n", "KUBELET_KUBEADM_ARGS", r"no variable KUBELET_KUBEADM_ARGS \(variables present: A\)"),
        ('A="--x=1\n', None, "does not close"),
        ("A=1\nthis is not an assignment secret=1\n", None, "line 2 of the environment file"),
    ],
)
def test_env_failures(text, env_var, match):
    with pytest.raises(flag_words.ComponentFlagsError, match=match):
        flags_envfile.patch_env_text(text, {"a": "1"}, env_var)


def test_env_failure_does_not_echo_other_lines():
    with pytest.raises(flag_words.ComponentFlagsError) as err:
        flags_envfile.patch_env_text("A=1\nTOKEN secret-value\n", {"a": "1"})
    assert "secret-value" not in str(err.value)


@pytest.mark.parametrize("value", ["a b", 'a"b', "a\\b", "a'b"])
def test_env_refuses_values_it_cannot_carry(value):
    with pytest.raises(flag_words.ComponentFlagsError, match="whitespace, a quote or a backslash"):
        flags_envfile.patch_env_text(ENV, {"node-ip": value})
