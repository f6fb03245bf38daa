# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Rules of module_utils/component_flags.py: flag words, edits and the three file formats."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dualstack.kubernetes.plugins.module_utils import component_flags as cf
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

FIXTURES = Path(__file__).resolve().parent.parent / "modules" / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


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
    assert cf.parse_flag(word) == expected


@pytest.mark.parametrize("word", ["kube-apiserver", "-", "--", "-999", "-/usr/bin/kubelet", "--=x", "$ARGS", ""])
def test_parse_flag_rejects_non_flags(word):
    assert not cf.is_flag(word)
    with pytest.raises(cf.ComponentFlagsError, match="not a command-line flag"):
        cf.parse_flag(word)


def test_error_is_the_collection_error():
    assert issubclass(cf.ComponentFlagsError, DualStackError)


def test_scan_flags_styles():
    words = ["kube-apiserver", "--a=1", "--b", "two", "--c", "-v=2", "--d", "-999", "--e", "$VARS"]
    found = cf.scan_flags(words)
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
    assert [f.name for f in cf.scan_flags(["x", "--a=1", "--", "--b=2"])] == ["a"]


def test_flags_map_bare_is_true_and_last_wins():
    words = ["kubelet", "--a=1", "--flag", "--a=2", "--node_ip=10.0.0.1"]
    assert cf.flags_map(words) == {"flag": "true", "a": "2", "node-ip": "10.0.0.1"}
    assert list(cf.flags_map(words)) == ["flag", "a", "node-ip"]


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
    assert cf.render_value(value) == expected


def test_render_value_rejects_other_types():
    with pytest.raises(cf.ComponentFlagsError, match="type object"):
        cf.render_value(object())


def test_normalize_changes():
    assert cf.normalize_changes({"--node_ip": ["10.0.0.1", "fd00::1"], "v": 2, "gone": None}) == {
        "node-ip": "10.0.0.1,fd00::1",
        "v": "2",
        "gone": None,
    }


@pytest.mark.parametrize("name", ["", "--", "a b", "a=b", "-"])
def test_normalize_changes_rejects_bad_names(name):
    with pytest.raises(cf.ComponentFlagsError, match="is not valid"):
        cf.normalize_changes({name: "x"})


def test_normalize_changes_rejects_two_spellings_of_one_flag():
    with pytest.raises(cf.ComponentFlagsError, match="name the same flag"):
        cf.normalize_changes({"node_ip": "a", "node-ip": "b"})


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
    assert cf.is_secret_flag(name) is secret


def test_secret_words_every_occurrence():
    words = ["x", "--token", "one", "--token=two", "--token-auth-file=/f", "--client_secret=three"]
    assert cf.secret_words(words) == ["one", "two", "three"]


def test_patch_reports_secrets_before_and_after():
    result = cf.patch_env_text('ARGS="--token=old --a=1"\n', {"token": "new"})
    assert result.secrets == ["old", "new"]


def test_secret_values():
    assert cf.secret_values({"token": "abc", "node-ip": "1.2.3.4", "password": None}) == ["abc"]


# --------------------------------------------------------------------------- edits


def test_existing_flag_keeps_position_new_flags_at_end():
    words = ["kube-apiserver", "--a=1", "--b=2", "--c=3"]
    assert cf.apply_flags(words, {"b": "20", "z": "26"}) == ["kube-apiserver", "--a=1", "--b=20", "--c=3", "--z=26"]


def test_removal_takes_every_occurrence_and_separate_values():
    words = ["x", "--a=1", "--b", "v", "--a=2", "--c"]
    assert cf.apply_flags(words, {"a": None, "b": None, "c": None}) == ["x"]


def test_removing_an_absent_flag_changes_nothing():
    assert cf.plan_edits(["x", "--a=1"], {"b": None}) == []


def test_duplicate_flag_keeps_last_place_drops_earlier():
    words = ["x", "--a=1", "--b=2", "--a=3"]
    assert cf.apply_flags(words, {"a": "9"}) == ["x", "--b=2", "--a=9"]
    # Already right in the last occurrence: the earlier ones still go (slice flags collect them).
    assert cf.apply_flags(words, {"a": "3"}) == ["x", "--b=2", "--a=3"]


def test_separate_style_is_kept():
    assert cf.apply_flags(["x", "--a", "1", "--b=2"], {"a": "5"}) == ["x", "--a", "5", "--b=2"]


def test_separate_style_with_empty_value_becomes_equals():
    assert cf.apply_flags(["x", "--a", "1"], {"a": ""}) == ["x", "--a="]


def test_bare_boolean():
    words = ["x", "--enable"]
    assert cf.plan_edits(words, {"enable": "true"}) == []
    assert cf.apply_flags(words, {"enable": "false"}) == ["x", "--enable=false"]


def test_short_prefix_and_underscores_kept():
    words = ["x", "-v=2", "--node_ip=1.1.1.1"]
    assert cf.apply_flags(words, {"v": "4", "node-ip": "2.2.2.2"}) == ["x", "-v=4", "--node_ip=2.2.2.2"]


def test_new_flag_after_terminator_is_refused():
    with pytest.raises(cf.ComponentFlagsError, match="terminator"):
        cf.plan_edits(["x", "--", "y"], {"a": "1"})


def test_plan_edits_renders_raw_values():
    assert cf.apply_flags(["x"], {"a": True, "b": ["1", "2"]}) == ["x", "--a=true", "--b=1,2"]


# Hypothesis: random command lines and random changes. A Kubernetes component takes no
# positional arguments, so a line is its binary followed by flag units (each in one of the
# three styles) and unbraced $VAR words, which systemd expands into several words.
_names = st.sampled_from(["a", "b", "c", "node-ip", "v", "cluster_cidr", "cluster-cidr"])
_values = st.text(alphabet="abc019.:/,=-", min_size=0, max_size=6).filter(lambda v: not v.startswith("-"))
_unit = st.one_of(
    st.builds(lambda n, v: ["--%s=%s" % (n, v)], _names, _values),
    st.builds(lambda n: ["--" + n], _names),
    st.builds(lambda n, v: ["--" + n, v], _names, _values.filter(bool)),
    st.builds(lambda n, v: ["-%s=%s" % (n, v)], st.sampled_from(["v", "x"]), _values),
    st.just(["$KUBELET_EXTRA_ARGS"]),
)
_args = st.lists(_unit, max_size=10).map(lambda units: ["kube-component"] + [w for unit in units for w in unit])
_changes = st.dictionaries(
    st.sampled_from(["a", "b", "c", "node-ip", "v", "cluster-cidr", "new-flag"]),
    st.one_of(st.none(), _values, st.booleans(), st.lists(st.sampled_from(["10.0.0.0/8", "fd00::/8"]), max_size=2)),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(_args, _changes)
def test_apply_flags_is_idempotent_and_merges(words, changes):
    rendered = {name: None if value is None else cf.render_value(value) for name, value in changes.items()}
    once = cf.apply_flags(words, rendered)
    assert cf.apply_flags(once, rendered) == once
    assert cf.plan_edits(once, rendered) == []
    expected = dict(cf.flags_map(words))
    for name, value in rendered.items():
        if value is None:
            expected.pop(name, None)
        else:
            expected[name] = value
    assert cf.flags_map(once) == expected
    # Words that are not flags (and not values of flags) stay where they were.
    assert once[0] == "kube-component"


def _merged(words, rendered):
    expected = dict(cf.flags_map(words))
    for name, value in rendered.items():
        if value is None:
            expected.pop(name, None)
        else:
            expected[name] = value
    return expected


_units = st.lists(_unit, max_size=8)


@settings(max_examples=200, deadline=None)
@given(_units, _changes, st.booleans())
def test_systemd_patch_is_idempotent_and_merges(units, changes, multiline):
    rendered = cf.normalize_changes(changes)
    words = [w for unit in units for w in unit]
    if multiline and units:
        command = "ExecStart=/usr/local/bin/kube-component \\\n" + " \\\n".join("  " + " ".join(u) for u in units)
    else:
        command = " ".join(["ExecStart=/usr/local/bin/kube-component"] + words)
    head, tail = "[Unit]\nDescription=x\n\n[Service]\n", "\nRestart=always\n"
    text = head + command + tail
    first = cf.patch_systemd_text(text, rendered)
    again = cf.patch_systemd_text(first.text, rendered)
    assert again.text == first.text and not again.changed
    assert first.flags == _merged(words, rendered)
    assert cf.patch_systemd_text(first.text, {}).flags == first.flags  # what was written reads back
    assert first.text.startswith(head + "ExecStart=/usr/local/bin/kube-component") and first.text.endswith(tail)


@settings(max_examples=200, deadline=None)
@given(_units, _changes, st.sampled_from(['"', "'", ""]))
def test_env_patch_is_idempotent_and_merges(units, changes, quote):
    rendered = cf.normalize_changes(changes)
    words = [w for unit in units for w in unit]
    head, tail = "# top\nOTHER='x y'\n", "\n# end"
    text = head + "ARGS=" + quote + " ".join(words) + quote + tail
    first = cf.patch_env_text(text, rendered, env_var="ARGS")
    again = cf.patch_env_text(first.text, rendered, env_var="ARGS")
    assert again.text == first.text and not again.changed
    assert first.flags == _merged(words, rendered)
    assert cf.patch_env_text(first.text, {}, env_var="ARGS").flags == first.flags
    assert first.text.startswith(head + "ARGS=") and first.text.endswith(tail)


# --------------------------------------------------------------------------- format detection


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
    assert cf.detect_format(fixture(name)) == fmt


def test_detect_format_env_with_comments_and_export():
    assert cf.detect_format("# kubelet\n\nexport A='x'\nB=\"--y=1\"\n") == "env"


@pytest.mark.parametrize("text", ["", "just some words\n", "a: b\n"])
def test_detect_format_unknown(text):
    with pytest.raises(cf.ComponentFlagsError, match="cannot tell the file format"):
        cf.detect_format(text)


def test_detect_format_service_without_execstart():
    with pytest.raises(cf.ComponentFlagsError, match="no ExecStart="):
        cf.detect_format('[Service]\nEnvironment="KUBELET_EXTRA_ARGS=--node-ip=1.2.3.4"\n')


# --------------------------------------------------------------------------- manifests


@pytest.mark.parametrize("name", ["kube-apiserver.yaml", "kube-controller-manager.yaml"])
def test_kubeadm_manifest_round_trips_byte_identical(name):
    text = fixture(name)
    assert cf.manifest_style(text) == (2, False)
    assert cf.dump_manifest(yaml.safe_load(text)) == text
    result = cf.patch_manifest_text(text, {"node-cidr-mask-size": None, "no-such-flag": None})
    assert result.text == text and not result.changed


def test_manifest_change_touches_only_the_flag_line():
    text = fixture("kube-apiserver.yaml")
    result = cf.patch_manifest_text(text, {"service-cluster-ip-range": "10.96.0.0/12,fd00:10:96::/108"})
    assert result.changed
    assert result.text == text.replace(
        "- --service-cluster-ip-range=10.96.0.0/12\n", "- --service-cluster-ip-range=10.96.0.0/12,fd00:10:96::/108\n"
    )
    assert result.flags["service-cluster-ip-range"] == "10.96.0.0/12,fd00:10:96::/108"
    assert result.format == "manifest"


def test_manifest_new_flag_goes_after_last_command_item():
    text = fixture("kube-controller-manager.yaml")
    result = cf.patch_manifest_text(text, {"node-cidr-mask-size-ipv6": 64})
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
    result = cf.patch_manifest_text(text, {"v": 2})
    assert result.text == text.replace("apiserver.key\n    env:", "apiserver.key\n    - --v=2\n    env:")


def test_manifest_indented_sequences_are_kept():
    # The hand-written style: list items indented under their key.
    indented = (
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: c\n      command:\n"
        "        - run\n        - --a=1\n"
    )
    assert cf.manifest_style(indented) == (2, True)
    result = cf.patch_manifest_text(indented, {"a": "2"})
    assert result.text == indented.replace("--a=1", "--a=2")


def test_manifest_explicit_document_start_is_kept():
    text = "---\n" + fixture("kube-apiserver.yaml")
    result = cf.patch_manifest_text(text, {"v": 2})
    last = "    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key\n"
    assert result.text == text.replace(last, last + "    - --v=2\n")


def test_manifest_args_list_takes_new_flags():
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - args:\n    - --a=1\n"
        "    command:\n    - /bin/component\n    - --b=2\n    name: c\n"
    )
    result = cf.patch_manifest_text(text, {"b": None, "c": "3", "a": "5"})
    pod = yaml.safe_load(result.text)
    assert pod["spec"]["containers"][0]["command"] == ["/bin/component"]
    assert pod["spec"]["containers"][0]["args"] == ["--a=5", "--c=3"]


def test_manifest_named_container():
    text = (
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command:\n    - sidecar\n    name: side\n"
        "  - command:\n    - main\n    name: main\n"
    )
    result = cf.patch_manifest_text(text, {"x": "1"}, container="main")
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
    with pytest.raises(cf.ComponentFlagsError, match=match):
        cf.patch_manifest_text(text, {"a": "1"}, container)


# --------------------------------------------------------------------------- environment files


ENV = fixture("kubeadm-flags.env")


def test_env_edit_keeps_other_bytes():
    result = cf.patch_env_text(ENV, {"node-ip": "172.18.0.2,fc00:f853:ccd:e793::2"})
    assert result.text == ENV.replace("--node-ip=172.18.0.2 ", "--node-ip=172.18.0.2,fc00:f853:ccd:e793::2 ")
    assert result.format == "env" and result.changed


def test_env_append_remove_and_no_trailing_newline():
    text = "# written by hand\nA=1\nKUBELET_KUBEADM_ARGS=\"--x=1 --y=2\"\nB='keep me'"
    result = cf.patch_env_text(text, {"x": None, "z": True}, env_var="KUBELET_KUBEADM_ARGS")
    assert result.text == "# written by hand\nA=1\nKUBELET_KUBEADM_ARGS=\"--y=2 --z=true\"\nB='keep me'"
    assert result.diff_before == 'KUBELET_KUBEADM_ARGS="--x=1 --y=2"\n'
    assert result.diff_after == 'KUBELET_KUBEADM_ARGS="--y=2 --z=true"\n'


def test_env_empty_unquoted_value_gets_quotes_when_it_grows():
    result = cf.patch_env_text("KUBELET_EXTRA_ARGS=\n", {"node-ip": "10.0.0.1"})
    assert result.text == "KUBELET_EXTRA_ARGS=--node-ip=10.0.0.1\n"
    result = cf.patch_env_text(result.text, {"v": 2})
    assert result.text == 'KUBELET_EXTRA_ARGS="--node-ip=10.0.0.1 --v=2"\n'


def test_env_empty_quoted_value_and_crlf():
    result = cf.patch_env_text('KUBELET_KUBEADM_ARGS=""\r\n', {"a": "1"})
    assert result.text == 'KUBELET_KUBEADM_ARGS="--a=1"\r\n'


def test_env_last_assignment_is_edited():
    text = 'ARGS="--a=1"\nARGS="--a=2"\n'
    result = cf.patch_env_text(text, {"a": "3"})
    assert result.text == 'ARGS="--a=1"\nARGS="--a=3"\n'
    assert result.flags == {"a": "3"}


def test_env_separate_style_kept():
    result = cf.patch_env_text('ARGS="--a 1 --b=2"\n', {"a": "5"})
    assert result.text == 'ARGS="--a 5 --b=2"\n'


def test_env_removing_first_word_keeps_spacing():
    result = cf.patch_env_text('ARGS="  --a=1   --b=2 "\n', {"a": None})
    assert result.text == 'ARGS="  --b=2 "\n'


def test_env_kind_style_line_with_an_empty_value():
    text = (
        'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock '
        '--node-ip=172.18.0.2 --node-labels= --provider-id=kind://docker/kind/kind-control-plane"\n'
    )
    result = cf.patch_env_text(text, {"node-ip": "172.18.0.2,fc00:f853:ccd:e793::2"})
    assert result.flags["node-labels"] == ""
    assert result.text == text.replace("--node-ip=172.18.0.2 ", "--node-ip=172.18.0.2,fc00:f853:ccd:e793::2 ")
    assert cf.patch_env_text(text, {"node-labels": ""}).changed is False


def test_env_unchanged_returns_same_text():
    result = cf.patch_env_text(ENV, {"node-ip": "172.18.0.2"})
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
    with pytest.raises(cf.ComponentFlagsError, match=match):
        cf.patch_env_text(text, {"a": "1"}, env_var)


def test_env_failure_does_not_echo_other_lines():
    with pytest.raises(cf.ComponentFlagsError) as err:
        cf.patch_env_text("A=1\nTOKEN secret-value\n", {"a": "1"})
    assert "secret-value" not in str(err.value)


@pytest.mark.parametrize("value", ["a b", 'a"b', "a\\b", "a'b"])
def test_env_refuses_values_it_cannot_carry(value):
    with pytest.raises(cf.ComponentFlagsError, match="whitespace, a quote or a backslash"):
        cf.patch_env_text(ENV, {"node-ip": value})


# --------------------------------------------------------------------------- systemd units


UNIT = fixture("kube-apiserver.service")


def test_systemd_change_in_place():
    result = cf.patch_systemd_text(UNIT, {"service-cluster-ip-range": "10.32.0.0/24,fd00:10:32::/108"})
    assert result.text == UNIT.replace(
        "--service-cluster-ip-range=10.32.0.0/24 \\", "--service-cluster-ip-range=10.32.0.0/24,fd00:10:32::/108 \\"
    )
    assert result.flags["runtime-config"] == "api/all=true"
    assert result.format == "systemd"


def test_systemd_new_flags_on_continuation_lines():
    result = cf.patch_systemd_text(UNIT, {"a": "1", "b": "2"})
    assert result.text == UNIT.replace("  --v=2\n", "  --v=2 \\\n  --a=1 \\\n  --b=2\n")


def test_systemd_remove_last_line_moves_the_end():
    result = cf.patch_systemd_text(UNIT, {"v": None})
    assert result.text == UNIT.replace(
        "  --tls-private-key-file=/var/lib/kubernetes/kubernetes-key.pem \\\n  --v=2\n",
        "  --tls-private-key-file=/var/lib/kubernetes/kubernetes-key.pem\n",
    )


def test_systemd_remove_and_add_last_line():
    result = cf.patch_systemd_text(UNIT, {"v": None, "z": "1"})
    assert result.text == UNIT.replace("  --v=2\n", "  --z=1\n")


def test_systemd_remove_middle_line():
    result = cf.patch_systemd_text(UNIT, {"event-ttl": None})
    assert result.text == UNIT.replace("  --event-ttl=1h \\\n", "")


def test_systemd_single_line():
    unit = "[Service]\nExecStart=/usr/bin/kube-proxy --v=2 --cluster-cidr=10.244.0.0/16\nRestart=always\n"
    result = cf.patch_systemd_text(unit, {"cluster-cidr": "10.244.0.0/16,fd00:10:244::/56", "x": "1", "v": None})
    assert result.text == (
        "[Service]\nExecStart=/usr/bin/kube-proxy --cluster-cidr=10.244.0.0/16,fd00:10:244::/56 --x=1\nRestart=always\n"
    )


def test_systemd_dropin_patches_last_non_empty_execstart():
    unit = (
        "[Service]\nEnvironment=\"KUBELET_KUBECONFIG_ARGS=--kubeconfig=/etc/kubernetes/kubelet.conf\"\n"
        "ExecStart=\nExecStart=-/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_EXTRA_ARGS\n"
    )
    result = cf.patch_systemd_text(unit, {"node-ip": "10.0.0.1"})
    assert result.text == unit.replace("$KUBELET_EXTRA_ARGS\n", "$KUBELET_EXTRA_ARGS --node-ip=10.0.0.1\n")
    assert result.flags == {"node-ip": "10.0.0.1"}


def test_systemd_separate_style_and_quotes():
    unit = "[Service]\nExecStart=/bin/c \\\n    --a 1 \\\n    \"--b=x y\" \\\n    --c\n"
    result = cf.patch_systemd_text(unit, {"a": "2", "c": False})
    assert result.text == "[Service]\nExecStart=/bin/c \\\n    --a 2 \\\n    \"--b=x y\" \\\n    --c=false\n"
    assert result.flags == {"a": "2", "b": "x y", "c": "false"}


def test_systemd_comment_inside_continuation_is_kept():
    unit = "[Service]\nExecStart=/bin/c \\\n  --a=1 \\\n# --old=1 \\\n  --b=2\n"
    result = cf.patch_systemd_text(unit, {"b": None, "a": "3"})
    assert result.text == "[Service]\nExecStart=/bin/c \\\n  --a=3\n# --old=1 \\\n"


def test_systemd_continuation_ended_by_a_blank_line():
    unit = "[Service]\nExecStart=/bin/c \\\n  --a=1 \\\n\nRestart=always\n"
    result = cf.patch_systemd_text(unit, {"b": "2"})
    assert result.text == "[Service]\nExecStart=/bin/c \\\n  --a=1 \\\n  --b=2\n\nRestart=always\n"
    assert cf.patch_systemd_text(result.text, {"b": "2"}).changed is False
    assert cf.patch_systemd_text(unit, {"a": None}).text == "[Service]\nExecStart=/bin/c\n\nRestart=always\n"


def test_systemd_value_on_its_own_continuation_line():
    unit = "[Service]\nExecStart=/bin/c \\\n  --a \\\n  1 \\\n  --b=2\n"
    assert cf.patch_systemd_text(unit, {"a": "5"}).text == unit.replace("  1 \\", "  5 \\")
    assert cf.patch_systemd_text(unit, {"a": None}).text == "[Service]\nExecStart=/bin/c \\\n  --b=2\n"


def test_systemd_unchanged_and_no_final_newline():
    unit = UNIT.rstrip("\n")
    result = cf.patch_systemd_text(unit, {"v": "2"})
    assert result.text == unit and not result.changed
    unit = "[Service]\nExecStart=/bin/c \\\n  --a=1"
    assert cf.patch_systemd_text(unit, {"b": "2"}).text == "[Service]\nExecStart=/bin/c \\\n  --a=1 \\\n  --b=2"


def test_systemd_only_reset_lines():
    with pytest.raises(cf.ComponentFlagsError, match="only empty ExecStart="):
        cf.patch_systemd_text("[Service]\nExecStart=\n", {"a": "1"})


def test_systemd_execstart_outside_service_is_not_used():
    with pytest.raises(cf.ComponentFlagsError):
        cf.patch_text("[Unit]\nExecStart=/bin/x\n", {"a": "1"})


def test_systemd_refuses_values_with_spaces():
    with pytest.raises(cf.ComponentFlagsError, match="systemd ExecStart="):
        cf.patch_systemd_text(UNIT, {"v": "2 3"})


def test_patch_text_dispatches():
    assert cf.patch_text(ENV, {}).format == "env"
    assert cf.patch_text(UNIT, {}).format == "systemd"
    assert cf.patch_text(fixture("kube-apiserver.yaml"), {}).format == "manifest"
