# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Flags in a static Pod manifest (``/etc/kubernetes/manifests/kube-apiserver.yaml``): one container's ``command``/``args``.

kubeadm writes the control plane's static Pods with sigs.k8s.io/yaml (go-yaml): two-space
mappings, sequences at their key's column, strings quoted only where they would read back as
another type. :func:`patch_manifest_text` edits the words of one container's ``command`` and
``args`` and writes the Pod back in that style, so a kubeadm manifest stays byte for byte the same
outside the edited flags. The flag rules are those of :mod:`flag_words`.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flag_words import (
    ComponentFlagsError,
    PatchResult,
    apply_edits,
    flags_map,
    plan_edits,
    secret_words,
)

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core's controller
    yaml = None
    HAS_YAML = False

_SHELLS = frozenset(("sh", "bash", "ash", "dash", "zsh"))


if HAS_YAML:

    class _ManifestDumper(yaml.SafeDumper):
        """SafeDumper writing as go-yaml does for kubeadm: sequences at their key's column,
        and double quotes for strings that would read back as another type (``"true"``)."""

        def represent_str(self, data: str) -> Any:
            style = None
            if self.resolve(yaml.ScalarNode, data, (True, False)) != "tag:yaml.org,2002:str":
                style = '"'
            return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    _ManifestDumper.add_representer(str, _ManifestDumper.represent_str)

    class _IndentedManifestDumper(_ManifestDumper):
        """The same, with block sequences indented under their key (``key:\\n  - item``)."""

        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            return super().increase_indent(flow, False)


def manifest_style(text: str) -> Tuple[int, bool]:
    """Return ``(indent, indented_sequences)`` of a YAML text, default kubeadm's ``(2, False)``.

    kubeadm (sigs.k8s.io/yaml) writes two-space mappings and sequences at their key's
    column (``command:\\n- kube-apiserver``); a hand-written file may indent the ``-``.
    """
    indent = 2
    match = re.search(r"^(?P<outer>[ ]*)[^\s#-][^\n]*:[ ]*\n(?P<inner>[ ]+)[^\s#-]", text, re.MULTILINE)
    if match:
        step = len(match.group("inner")) - len(match.group("outer"))
        if 2 <= step <= 9:
            indent = step
    indented = False
    match = re.search(r"^(?P<outer>[ ]*)[^\s#-][^\n]*:[ ]*\n(?P<inner>[ ]*)- ", text, re.MULTILINE)
    if match:
        indented = len(match.group("inner")) > len(match.group("outer"))
    return indent, indented


def dump_manifest(data: Any, indent: int = 2, indented_sequences: bool = False, explicit_start: bool = False) -> str:
    """Write manifest data back as YAML: key order kept, block style, no line folding."""
    return yaml.dump(
        data,
        Dumper=_IndentedManifestDumper if indented_sequences else _ManifestDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        indent=indent,
        width=1 << 30,
        explicit_start=explicit_start,
    )


def _load_pod(text: str) -> Dict[str, Any]:
    """Parse ``text`` as one YAML document holding a Pod, or raise a clear error."""
    if not HAS_YAML:
        raise ComponentFlagsError(
            "reading a static Pod manifest needs PyYAML on the managed host: install python3-yaml"
        )
    if text.lstrip().startswith("{"):
        raise ComponentFlagsError(
            "the manifest is JSON and this module writes YAML only: convert it to YAML first "
            "(the kubelet reads both) or edit it by hand"
        )
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as err:
        problem = " ".join(str(err).split())
        raise ComponentFlagsError("the manifest is not valid YAML (%s): fix its syntax first" % problem)
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise ComponentFlagsError(
            "expected one YAML document holding a static Pod, found %d document(s) of other shape: "
            "a static Pod manifest holds exactly one Pod" % len(documents)
        )
    pod = documents[0]
    if pod.get("kind") != "Pod":
        raise ComponentFlagsError(
            "expected a static Pod manifest (kind: Pod), found kind: %s: point path at a Pod manifest "
            "such as /etc/kubernetes/manifests/kube-apiserver.yaml" % pod.get("kind")
        )
    return pod


def _pick_container(pod: Dict[str, Any], container: Optional[str]) -> Dict[str, Any]:
    """Return the named container of the Pod, or its first one when no name is given."""
    spec = pod.get("spec")
    containers = spec.get("containers") if isinstance(spec, dict) else None
    if not isinstance(containers, list) or not containers or not all(isinstance(c, dict) for c in containers):
        raise ComponentFlagsError(
            "the Pod has no spec.containers list: a static Pod manifest needs at least one container"
        )
    if container is None:
        return containers[0]
    for candidate in containers:
        if candidate.get("name") == container:
            return candidate
    names = ", ".join(str(c.get("name")) for c in containers)
    raise ComponentFlagsError(
        "the Pod has no container named %r (containers present: %s): set container to one of them" % (container, names)
    )


def _command_lists(target: Dict[str, Any]) -> List[List[Any]]:
    """Return the container's ``command`` and ``args`` lists, the words of its command line."""
    lists = []
    for key in ("command", "args"):
        value = target.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
            raise ComponentFlagsError("the container's %s is not a list of strings: write one word per list item" % key)
        lists.append(value)
    if not lists:
        raise ComponentFlagsError(
            "container %r has neither command nor args: add its command line (command: [binary, --flag=value, ...])"
            % target.get("name")
        )
    words = [word for part in lists for word in part]
    if len(words) > 1 and words[0].rsplit("/", 1)[-1] in _SHELLS and words[1] == "-c":
        raise ComponentFlagsError(
            "container %r runs a shell (%s -c ...), so its flags sit inside one script string: "
            "write the command as one word per list item, or edit the script by hand" % (target.get("name"), words[0])
        )
    return lists


def patch_manifest_text(text: str, changes: Dict[str, Optional[str]], container: Optional[str] = None) -> PatchResult:
    """Apply ``changes`` to the command line of one container of a static Pod manifest.

    The words are the container's ``command`` followed by its ``args``; new flags go
    at the end of the last of them. When there is nothing to change the text is
    returned untouched. Otherwise the manifest is written back as data (PyYAML, key
    order kept) in the indentation the file uses, which reproduces kubeadm's output
    byte for byte outside the edited flags (YAML comments are not kept).
    """
    pod = _load_pod(text)
    target = _pick_container(pod, container)
    lists = _command_lists(target)
    words = [word for part in lists for word in part]
    edits = plan_edits(words, changes)
    if not edits:
        return PatchResult(text, False, flags_map(words), "manifest", text, text, secret_words(words))
    new_words = apply_edits(words, edits)
    # Split the new words back over command/args: each keeps its surviving words,
    # the last list also takes the appended ones.
    deleted = {edit.index for edit in edits if edit.op == "delete"}
    start = 0
    rest = new_words
    for part in lists[:-1]:
        kept = sum(1 for index in range(start, start + len(part)) if index not in deleted)
        start += len(part)
        part[:], rest = rest[:kept], rest[kept:]
    lists[-1][:] = rest
    indent, indented = manifest_style(text)
    new_text = dump_manifest(pod, indent, indented, text.startswith("---"))
    secrets = secret_words(words + new_words)
    return PatchResult(new_text, new_text != text, flags_map(new_words), "manifest", text, new_text, secrets)
