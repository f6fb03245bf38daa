# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Flags on a systemd unit's ExecStart= line (module_utils/flags_systemd.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dualstack.kubernetes.plugins.module_utils import flag_words, flags_systemd

from .flag_cases import fixture, flag_changes, flag_units, merged


@settings(max_examples=200, deadline=None)
@given(flag_units, flag_changes, st.booleans())
def test_systemd_patch_is_idempotent_and_merges(units, changes, multiline):
    rendered = flag_words.normalize_changes(changes)
    words = [w for unit in units for w in unit]
    if multiline and units:
        command = "ExecStart=/usr/local/bin/kube-component \\\n" + " \\\n".join("  " + " ".join(u) for u in units)
    else:
        command = " ".join(["ExecStart=/usr/local/bin/kube-component"] + words)
    head, tail = "[Unit]\nDescription=x\n\n[Service]\n", "\nRestart=always\n"
    text = head + command + tail
    first = flags_systemd.patch_systemd_text(text, rendered)
    again = flags_systemd.patch_systemd_text(first.text, rendered)
    assert again.text == first.text and not again.changed
    assert first.flags == merged(words, rendered)
    assert flags_systemd.patch_systemd_text(first.text, {}).flags == first.flags  # what was written reads back
    assert first.text.startswith(head + "ExecStart=/usr/local/bin/kube-component") and first.text.endswith(tail)


UNIT = fixture("kube-apiserver.service")


def test_systemd_change_in_place():
    result = flags_systemd.patch_systemd_text(UNIT, {"service-cluster-ip-range": "10.32.0.0/24,fd00:10:32::/108"})
    assert result.text == UNIT.replace(
        "--service-cluster-ip-range=10.32.0.0/24 \\", "--service-cluster-ip-range=10.32.0.0/24,fd00:10:32::/108 \\"
    )
    assert result.flags["runtime-config"] == "api/all=true"
    assert result.format == "systemd"


def test_systemd_new_flags_on_continuation_lines():
    result = flags_systemd.patch_systemd_text(UNIT, {"a": "1", "b": "2"})
    assert result.text == UNIT.replace("  --v=2\n", "  --v=2 \\\n  --a=1 \\\n  --b=2\n")


def test_systemd_remove_last_line_moves_the_end():
    result = flags_systemd.patch_systemd_text(UNIT, {"v": None})
    assert result.text == UNIT.replace(
        "  --tls-private-key-file=/var/lib/kubernetes/kubernetes-key.pem \\\n  --v=2\n",
        "  --tls-private-key-file=/var/lib/kubernetes/kubernetes-key.pem\n",
    )


def test_systemd_remove_and_add_last_line():
    result = flags_systemd.patch_systemd_text(UNIT, {"v": None, "z": "1"})
    assert result.text == UNIT.replace("  --v=2\n", "  --z=1\n")


def test_systemd_remove_middle_line():
    result = flags_systemd.patch_systemd_text(UNIT, {"event-ttl": None})
    assert result.text == UNIT.replace("  --event-ttl=1h \\\n", "")


def test_systemd_single_line():
    unit = "[Service]\nExecStart=/usr/bin/kube-proxy --v=2 --cluster-cidr=10.244.0.0/16\nRestart=always\n"
    result = flags_systemd.patch_systemd_text(unit, {"cluster-cidr": "10.244.0.0/16,fd00:10:244::/56", "x": "1", "v": None})
    assert result.text == (
        "[Service]\nExecStart=/usr/bin/kube-proxy --cluster-cidr=10.244.0.0/16,fd00:10:244::/56 --x=1\nRestart=always\n"
    )


def test_systemd_dropin_patches_last_non_empty_execstart():
    unit = (
        "[Service]\nEnvironment=\"KUBELET_KUBECONFIG_ARGS=--kubeconfig=/etc/kubernetes/kubelet.conf\"\n"
        "ExecStart=\nExecStart=-/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_EXTRA_ARGS\n"
    )
    result = flags_systemd.patch_systemd_text(unit, {"node-ip": "10.0.0.1"})
    assert result.text == unit.replace("$KUBELET_EXTRA_ARGS\n", "$KUBELET_EXTRA_ARGS --node-ip=10.0.0.1\n")
    assert result.flags == {"node-ip": "10.0.0.1"}


def test_systemd_separate_style_and_quotes():
    unit = "[Service]\nExecStart=/bin/c \\\n    --a 1 \\\n    \"--b=x y\" \\\n    --c\n"
    result = flags_systemd.patch_systemd_text(unit, {"a": "2", "c": False})
    assert result.text == "[Service]\nExecStart=/bin/c \\\n    --a 2 \\\n    \"--b=x y\" \\\n    --c=false\n"
    assert result.flags == {"a": "2", "b": "x y", "c": "false"}


def test_systemd_comment_inside_continuation_is_kept():
    unit = "[Service]\nExecStart=/bin/c \\\n  --a=1 \\\n# --old=1 \\\n  --b=2\n"
    result = flags_systemd.patch_systemd_text(unit, {"b": None, "a": "3"})
    assert result.text == "[Service]\nExecStart=/bin/c \\\n  --a=3\n# --old=1 \\\n"


def test_systemd_continuation_ended_by_a_blank_line():
    unit = "[Service]\nExecStart=/bin/c \\\n  --a=1 \\\n\nRestart=always\n"
    result = flags_systemd.patch_systemd_text(unit, {"b": "2"})
    assert result.text == "[Service]\nExecStart=/bin/c \\\n  --a=1 \\\n  --b=2\n\nRestart=always\n"
    assert flags_systemd.patch_systemd_text(result.text, {"b": "2"}).changed is False
    assert flags_systemd.patch_systemd_text(unit, {"a": None}).text == "[Service]\nExecStart=/bin/c\n\nRestart=always\n"


def test_systemd_value_on_its_own_continuation_line():
    unit = "[Service]\nExecStart=/bin/c \\\n  --a \\\n  1 \\\n  --b=2\n"
    assert flags_systemd.patch_systemd_text(unit, {"a": "5"}).text == unit.replace("  1 \\", "  5 \\")
    assert flags_systemd.patch_systemd_text(unit, {"a": None}).text == "[Service]\nExecStart=/bin/c \\\n  --b=2\n"


def test_systemd_unchanged_and_no_final_newline():
    unit = UNIT.rstrip("\n")
    result = flags_systemd.patch_systemd_text(unit, {"v": "2"})
    assert result.text == unit and not result.changed
    unit = "[Service]\nExecStart=/bin/c \\\n  --a=1"
    assert flags_systemd.patch_systemd_text(unit, {"b": "2"}).text == "[Service]\nExecStart=/bin/c \\\n  --a=1 \\\n  --b=2"


def test_systemd_only_reset_lines():
    with pytest.raises(flag_words.ComponentFlagsError, match="only empty ExecStart="):
        flags_systemd.patch_systemd_text("[Service]\nExecStart=\n", {"a": "1"})


def test_systemd_refuses_values_with_spaces():
    with pytest.raises(flag_words.ComponentFlagsError, match="systemd ExecStart="):
        flags_systemd.patch_systemd_text(UNIT, {"v": "2 3"})
