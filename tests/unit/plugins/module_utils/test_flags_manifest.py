# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Flags in a static Pod manifest (module_utils/flags_manifest.py): kubeadm's files round-trip byte for byte."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.dualstack.kubernetes.plugins.module_utils import flag_words, flags_manifest

from .flag_cases import fixture


@pytest.mark.parametrize("name", ["kube-apiserver.yaml", "kube-controller-manager.yaml"])
def test_kubeadm_manifest_round_trips_byte_identical(name):
    text = fixture(name)
    assert flags_manifest.manifest_style(text) == (2, False)
    assert flags_manifest.dump_manifest(yaml.safe_load(text)) == text
    result = flags_manifest.patch_manifest_text(text, {"node-cidr-mask-size": None, "no-such-flag": None})
    assert result.text == text and not result.changed


def test_manifest_change_touches_only_the_flag_line():
    text = fixture("kube-apiserver.yaml")
    result = flags_manifest.patch_manifest_text(text, {"service-cluster-ip-range": "10.96.0.0/12,fd00:10:96::/108"})
    assert result.changed
    assert result.text == text.replace(
        "- --service-cluster-ip-range=10.96.0.0/12\n", "- --service-cluster-ip-range=10.96.0.0/12,fd00:10:96::/108\n"
    )
    assert result.flags["service-cluster-ip-range"] == "10.96.0.0/12,fd00:10:96::/108"
    assert result.format == "manifest"


def test_manifest_new_flag_goes_after_last_command_item():
    text = fixture("kube-controller-manager.yaml")
    result = flags_manifest.patch_manifest_text(text, {"node-cidr-mask-size-ipv6": 64})
    assert result.text == text.replace(
        "    - --use-service-account-credentials=true\n",
        "    - --use-service-account-credentials=true\n    - --node-cidr-mask-size-ipv6=64\n",
    )


def test_manifest_strings_are_quoted_as_go_yaml_does():
    text = fixture("kube-apiserver.yaml").replace(
        "    image: registry.k8s.io/kube-apiserver:v1.34.1\n",
        "    env:\n    - name: HTTPS_PROXY\n      value: http://proxy:3128\n    - name: PROXY_ENABLED\n"
        "      value: \"true\"\n    - name: PROXY_PORT\n      value: \"3128\"\n    - name: EMPTY\n      value: \"\"\n"
        "    image: registry.k8s.io/kube-apiserver:v1.34.1\n",
    )
    result = flags_manifest.patch_manifest_text(text, {"v": 2})
    assert result.text == text.replace("apiserver.key\n    env:", "apiserver.key\n    - --v=2\n    env:")


def test_manifest_indented_sequences_are_kept():
    # The hand-written style: list items indented under their key.
    indented = (
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: c\n      command:\n"
        "        - run\n        - --a=1\n"
    )
    assert flags_manifest.manifest_style(indented) == (2, True)
    result = flags_manifest.patch_manifest_text(indented, {"a": "2"})
    assert result.text == indented.replace("--a=1", "--a=2")


def test_manifest_explicit_document_start_is_kept():
    text = "---\n" + fixture("kube-apiserver.yaml")
    result = flags_manifest.patch_manifest_text(text, {"v": 2})
    last = "    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key\n"
    assert result.text == text.replace(last, last + "    - --v=2\n")


def test_manifest_args_list_takes_new_flags():
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - args:\n    - --a=1\n"
        "    command:\n    - /bin/component\n    - --b=2\n    name: c\n"
    )
    result = flags_manifest.patch_manifest_text(text, {"b": None, "c": "3", "a": "5"})
    pod = yaml.safe_load(result.text)
    assert pod["spec"]["containers"][0]["command"] == ["/bin/component"]
    assert pod["spec"]["containers"][0]["args"] == ["--a=5", "--c=3"]


def test_manifest_named_container():
    text = (
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command:\n    - sidecar\n    name: side\n"
        "  - command:\n    - main\n    name: main\n"
    )
    result = flags_manifest.patch_manifest_text(text, {"x": "1"}, container="main")
    pod = yaml.safe_load(result.text)
    assert pod["spec"]["containers"][0]["command"] == ["sidecar"]
    assert pod["spec"]["containers"][1]["command"] == ["main", "--x=1"]


POD = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n"


@pytest.mark.parametrize(
    "text, container, match",
    [
        (
            "apiVersion: apps/v1\nkind: Deployment\nspec: {}\n",
            None,
            r"expected a static Pod manifest \(kind: Pod\), found kind: Deployment",
        ),
        ("apiVersion: v1\nkind: Pod\nspec: {}\n", None, "no spec.containers"),
        (
            POD + "  - name: a\n    command: [x]\n  - name: b\n    command: [y]\n",
            "c",
            r"no container named 'c' \(containers present: a, b\)",
        ),
        (POD + "  - name: a\n", None, "neither command nor args"),
        (POD + "  - name: a\n    command: x\n", None, "not a list of strings"),
        ("apiVersion: v1\nkind: Pod\nspec: [\n", None, "not valid YAML"),
        ("apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\n", None, "found 2 document"),
        ('{"apiVersion": "v1", "kind": "Pod"}', None, "JSON"),
        (POD + "  - name: a\n    command: [/bin/sh, -c, run --x=1]\n", None, "runs a shell"),
    ],
)
def test_manifest_failures(text, container, match):
    with pytest.raises(flag_words.ComponentFlagsError, match=match):
        flags_manifest.patch_manifest_text(text, {"a": "1"}, container)
