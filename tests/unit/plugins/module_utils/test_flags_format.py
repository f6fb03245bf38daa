# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which file format holds the flags, and the patcher for it (module_utils/flags_format.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import flag_words, flags_format

from .flag_cases import fixture

ENV = fixture("kubeadm-flags.env")
UNIT = fixture("kube-apiserver.service")


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("kube-apiserver.yaml", "manifest"),
        ("kube-controller-manager.yaml", "manifest"),
        ("kubeadm-flags.env", "env"),
        ("kube-apiserver.service", "systemd"),
    ],
)
def test_detect_format(name, fmt):
    assert flags_format.detect_format(fixture(name)) == fmt


def test_detect_format_env_with_comments_and_export():
    assert flags_format.detect_format("# kubelet\n\nexport A='x'\nB=\"--y=1\"\n") == "env"


@pytest.mark.parametrize("text", ["", "just some words\n", "a: b\n"])
def test_detect_format_unknown(text):
    with pytest.raises(flag_words.ComponentFlagsError, match="cannot tell the file format"):
        flags_format.detect_format(text)


def test_detect_format_service_without_execstart():
    with pytest.raises(flag_words.ComponentFlagsError, match="no ExecStart="):
        flags_format.detect_format('[Service]\nEnvironment="KUBELET_EXTRA_ARGS=--node-ip=1.2.3.4"\n')


def test_patch_text_dispatches():
    assert flags_format.patch_text(ENV, {}).format == "env"
    assert flags_format.patch_text(UNIT, {}).format == "systemd"
    assert flags_format.patch_text(fixture("kube-apiserver.yaml"), {}).format == "manifest"


def test_systemd_execstart_outside_service_is_not_used():
    with pytest.raises(flag_words.ComponentFlagsError):
        flags_format.patch_text("[Unit]\nExecStart=/bin/x\n", {"a": "1"})
