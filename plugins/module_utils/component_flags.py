# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Command-line flags of Kubernetes components, read and edited where clusters keep them.

Three places hold a component's flags:

* a static Pod manifest (``/etc/kubernetes/manifests/kube-apiserver.yaml``): the
  ``command`` (and ``args``) list of one container;
* an environment file (``/var/lib/kubelet/kubeadm-flags.env``): the words of one
  variable, ``KUBELET_KUBEADM_ARGS="--a=b --c=d"``;
* a systemd unit (hand-installed clusters): the words of the ``ExecStart=`` line,
  usually one flag per continuation line.

Everything here is a pure function over text or lists of words, so filters, action
plugins and the ``component_flags`` module share one set of rules. The flag rules
follow ``spf13/pflag`` as Kubernetes components use it:

* ``--name=value``, ``--name value`` (two words) and ``-n=value`` all set ``name``;
  a bare ``--name`` sets a boolean flag to ``true``;
* Kubernetes registers ``cliflag.WordSepNormalizeFunc``, so ``--node_ip`` and
  ``--node-ip`` are the same flag (this module compares names with ``_`` read as ``-``);
* a flag given twice is set twice: the last value wins for scalar flags, slice flags
  collect every value. Setting a flag here therefore leaves exactly one occurrence
  (the last, in its place, in its style); removing a flag removes every occurrence;
* a lone ``--`` ends the flags; later words are positional.

The edit model: :func:`plan_edits` turns the wanted changes into index-based
:class:`Edit` operations over the words of a command line, and each file format
applies them to its own text so that everything it does not edit stays as it was.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core's controller
    yaml = None
    HAS_YAML = False

#: The three formats :func:`detect_format` recognises.
FORMATS = ("manifest", "env", "systemd")
#: What :func:`flags_map` reports for a bare boolean flag (``--flag``).
BARE_FLAG_VALUE = "true"
#: Words in a flag name that make its value secret (never echoed).
SECRET_WORDS = frozenset(("token", "password", "passwd", "secret"))
#: Last words of a flag name whose value is a location, not the secret itself.
LOCATION_WORDS = frozenset(("file", "files", "dir", "path", "paths"))

_FLAG_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ENV_LINE_RE = re.compile(
    r"^(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<name>" + _ENV_NAME + r")"
    r"(?P<eq>[ \t]*=[ \t]*)(?P<value>.*?)(?P<trail>[ \t]*)$"
)
_UNBRACED_VAR_RE = re.compile(r"^\$" + _ENV_NAME + r"$")
_SECTION_RE = re.compile(r"^[ \t]*\[(?P<name>[^\]]+)\][ \t]*$")
_EXECSTART_RE = re.compile(r"^(?P<key>[ \t]*ExecStart[ \t]*=[ \t]*)(?P<rest>.*)$")
_YAML_HINT_RE = re.compile(r"^(?:apiVersion|kind)[ \t]*:", re.MULTILINE)
_SHELLS = frozenset(("sh", "bash", "ash", "dash", "zsh"))
# Characters a value cannot carry inside a whitespace-split command line.
_UNSAFE_WORD_RE = re.compile(r"[\s\"'\\]")


class ComponentFlagsError(DualStackError):
    """The file or the wanted flags cannot be handled; ``str(err)`` says why and the fix."""


class Flag(NamedTuple):
    """One occurrence of a flag among the words of a command line.

    ``style`` is ``equals`` (``--name=value``), ``separate`` (``--name value``, the value
    at ``value_index``) or ``bare`` (``--name``). ``prefix`` is ``--`` or ``-`` and
    ``written`` the name as spelled in the file.
    """

    name: str
    written: str
    prefix: str
    style: str
    index: int
    value_index: Optional[int]
    value: Optional[str]


class Edit(NamedTuple):
    """One change to the words of a command line.

    ``op`` is ``replace`` (word ``index`` becomes ``word``), ``delete`` (word ``index``
    goes) or ``append`` (``word`` is added after the last word; ``index`` is ``None``).
    """

    op: str
    index: Optional[int]
    word: Optional[str]


class PatchResult(NamedTuple):
    """The outcome of patching one file's text.

    ``diff_before``/``diff_after`` are what a diff may show: the whole text for
    manifests and units, only the edited assignment line for environment files.
    ``secrets`` are the values of secret flags on the command line before or after
    the change (every occurrence), which output must mask.
    """

    text: str
    changed: bool
    flags: Dict[str, str]
    format: str
    diff_before: str
    diff_after: str
    secrets: List[str]


# --------------------------------------------------------------------------- flag words


def normalize_name(name: str) -> str:
    """Return the name pflag compares: ``_`` is read as ``-`` (``WordSepNormalizeFunc``)."""
    return name.replace("_", "-")


def is_flag(word: str) -> bool:
    """Tell whether ``word`` is a flag: ``--name...`` or ``-n...``.

    Not flags: ``-`` and ``--``, negative numbers (``-999``), and words such as
    ``-/usr/bin/kubelet`` (a systemd ``ExecStart=`` prefix): the name must start
    with a letter or digit (a letter after a single dash).
    """
    if word.startswith("--"):
        return len(word) > 2 and word[2].isalnum()
    if word.startswith("-"):
        return len(word) > 1 and word[1].isalpha()
    return False


def parse_flag(word: str) -> Tuple[str, Optional[str]]:
    """Split a flag word into its name (as written, no dashes) and value (``None`` if bare).

    ``--service-cluster-ip-range=10.96.0.0/12`` gives
    ``("service-cluster-ip-range", "10.96.0.0/12")``; ``--allow-privileged`` gives
    ``("allow-privileged", None)``. Raises :class:`ComponentFlagsError` for a non-flag word.
    """
    if not is_flag(word):
        raise ComponentFlagsError("%r is not a command-line flag: flags start with '-' or '--' and a name" % word)
    body = word[2:] if word.startswith("--") else word[1:]
    name, sep, value = body.partition("=")
    return name, (value if sep else None)


def _takes_next_word(words: Sequence[str], index: int) -> bool:
    """Tell whether the word after a bare flag at ``index`` is that flag's value.

    pflag gives the next word to a non-boolean flag; without the flag types at hand
    the rule is: the next word is the value unless it is a flag, the ``--`` terminator
    or an unbraced ``$VAR`` (systemd splits those into several words). A negative
    number (``--oom-score-adj -999``) is a value, as pflag reads it.
    """
    nxt = index + 1
    if nxt >= len(words):
        return False
    word = words[nxt]
    return not is_flag(word) and word != "--" and not _UNBRACED_VAR_RE.match(word)


def scan_flags(words: Sequence[str]) -> List[Flag]:
    """Find every flag occurrence among ``words``, in order, up to a ``--`` terminator."""
    found: List[Flag] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            break
        if not is_flag(word):
            index += 1
            continue
        written, value = parse_flag(word)
        prefix = "--" if word.startswith("--") else "-"
        name = normalize_name(written)
        if value is not None:
            found.append(Flag(name, written, prefix, "equals", index, None, value))
        elif _takes_next_word(words, index):
            found.append(Flag(name, written, prefix, "separate", index, index + 1, words[index + 1]))
            index += 1
        else:
            found.append(Flag(name, written, prefix, "bare", index, None, None))
        index += 1
    return found


def flags_map(words: Sequence[str]) -> Dict[str, str]:
    """Return the flags ``words`` set, name (``-`` separated) to value string.

    A bare flag reads ``"true"``; a flag given twice reads its last value (pflag's
    rule for scalar flags) and sits at its last position in the map's order.
    """
    result: Dict[str, str] = {}
    for flag in scan_flags(words):
        result.pop(flag.name, None)
        result[flag.name] = BARE_FLAG_VALUE if flag.value is None else flag.value
    return result


# --------------------------------------------------------------------------- wanted values


def render_value(value: Any) -> str:
    """Render a wanted flag value the way the component parses it.

    ``True``/``False`` → ``true``/``false``; a list → its items comma-joined (pflag's
    slice syntax); a mapping → ``key=value`` pairs comma-joined (``--feature-gates``);
    numbers and strings → ``str()``. Raises :class:`ComponentFlagsError` for other
    types (``None`` means "remove" and never reaches this function).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ",".join(render_value(item) for item in value)
    if isinstance(value, dict):
        return ",".join("%s=%s" % (key, render_value(item)) for key, item in value.items())
    raise ComponentFlagsError(
        "cannot render a flag value of type %s: give a string, number, boolean, list or mapping" % type(value).__name__
    )


def normalize_changes(flags: Dict[str, Any]) -> Dict[str, Optional[str]]:
    """Turn the module's ``flags`` option into ``{normalized name: rendered value or None}``.

    Leading dashes on a name are dropped. A name that is empty, has spaces or ``=``,
    or names the same flag as another key (``node_ip`` and ``node-ip``) is an error.
    """
    result: Dict[str, Optional[str]] = {}
    spelled: Dict[str, str] = {}
    for raw_name, value in flags.items():
        name = str(raw_name).lstrip("-")
        if not _FLAG_NAME_RE.match(name):
            raise ComponentFlagsError(
                "flag name %r is not valid: give the name without leading dashes, using "
                "letters, digits, '-', '_' or '.' only (e.g. service-cluster-ip-range)" % raw_name
            )
        key = normalize_name(name)
        if key in result:
            raise ComponentFlagsError(
                "flags %r and %r name the same flag (Kubernetes reads '_' as '-'): keep one of them"
                % (spelled[key], raw_name)
            )
        spelled[key] = str(raw_name)
        result[key] = None if value is None else render_value(value)
    return result


def is_secret_flag(name: str) -> bool:
    """Tell whether a flag's value is a secret: a word of its name is token/password/secret.

    Names that end in a location word (``--token-auth-file``) hold a path, not the
    secret itself, and are not secret.
    """
    words = normalize_name(name).lower().split("-")
    return bool(SECRET_WORDS.intersection(words)) and words[-1] not in LOCATION_WORDS


def secret_values(flags: Dict[str, Optional[str]]) -> List[str]:
    """Return the values of the secret flags in ``flags`` (for masking in output)."""
    return [value for name, value in flags.items() if value and is_secret_flag(name)]


def secret_words(words: Sequence[str]) -> List[str]:
    """Return the values of every occurrence of a secret flag among ``words``."""
    return [flag.value for flag in scan_flags(words) if flag.value and is_secret_flag(flag.name)]


# --------------------------------------------------------------------------- edits


def plan_edits(words: Sequence[str], changes: Dict[str, Optional[str]]) -> List[Edit]:
    """Return the edits that make ``words`` carry ``changes`` (normalized name → value/None).

    * ``None`` removes every occurrence of the flag (and its separate value word);
    * an existing flag keeps the place and style of its last occurrence and loses the
      earlier ones; a bare ``--flag`` stays bare for ``true``, else becomes ``--flag=v``;
      ``--flag value`` keeps two words (an empty value becomes ``--flag=``);
    * a new flag is appended as ``--name=value``.

    No edit is planned for a flag that already has the wanted value in one occurrence,
    so an empty list means "nothing to do".
    """
    occurrences: Dict[str, List[Flag]] = {}
    for flag in scan_flags(words):
        occurrences.setdefault(flag.name, []).append(flag)
    terminated = "--" in words
    edits: List[Edit] = []
    for name, value in changes.items():
        if value is not None and not isinstance(value, str):
            value = render_value(value)
        found = occurrences.get(name, [])
        if value is None:
            for flag in found:
                edits.extend(_delete_flag(flag))
            continue
        if not found:
            if terminated:
                raise ComponentFlagsError(
                    "cannot add --%s: the command line has a '--' terminator and words after it are "
                    "not flags; add the flag before '--' by hand" % name
                )
            edits.append(Edit("append", None, "--%s=%s" % (name, value)))
            continue
        for flag in found[:-1]:
            edits.extend(_delete_flag(flag))
        edits.extend(_set_flag(found[-1], value))
    return edits


def _delete_flag(flag: Flag) -> List[Edit]:
    """Edits that remove one occurrence (two words for the ``separate`` style)."""
    edits = [Edit("delete", flag.index, None)]
    if flag.value_index is not None:
        edits.append(Edit("delete", flag.value_index, None))
    return edits


def _set_flag(flag: Flag, value: str) -> List[Edit]:
    """Edits that give one occurrence ``value``, keeping its style where pflag allows."""
    current = BARE_FLAG_VALUE if flag.value is None else flag.value
    if current == value:
        return []
    if flag.style == "separate" and value != "":
        return [Edit("replace", flag.value_index, value)]
    edits = [Edit("replace", flag.index, "%s%s=%s" % (flag.prefix, flag.written, value))]
    if flag.style == "separate":
        edits.append(Edit("delete", flag.value_index, None))
    return edits


def apply_edits(words: Sequence[str], edits: Sequence[Edit]) -> List[str]:
    """Apply :func:`plan_edits` output to a list of words and return the new list."""
    replaced = {edit.index: edit.word for edit in edits if edit.op == "replace"}
    deleted = {edit.index for edit in edits if edit.op == "delete"}
    result = [replaced.get(index, word) for index, word in enumerate(words) if index not in deleted]
    result.extend(edit.word for edit in edits if edit.op == "append" and edit.word is not None)
    return result  # type: ignore[return-value]


def apply_flags(words: Sequence[str], changes: Dict[str, Optional[str]]) -> List[str]:
    """Return ``words`` with ``changes`` (normalized name → value or ``None``) applied."""
    return apply_edits(words, plan_edits(words, changes))


def _check_words(edits: Sequence[Edit], where: str) -> None:
    """Refuse new words that a whitespace-split command line cannot carry."""
    for edit in edits:
        if edit.word is not None and _UNSAFE_WORD_RE.search(edit.word):
            name = edit.word.split("=", 1)[0] if is_flag(edit.word) else "a flag given as two words"
            raise ComponentFlagsError(
                "the value for %s cannot be written to %s: it contains whitespace, a quote or a "
                "backslash, which that line splits or mangles; use a value without them" % (name, where)
            )


# --------------------------------------------------------------------------- formats


def detect_format(text: str) -> str:
    """Tell which of :data:`FORMATS` ``text`` is, from its content alone.

    * ``systemd``: a ``[Service]`` section with an ``ExecStart=`` line;
    * ``env``: every line that is not blank or a comment is ``NAME=value``;
    * ``manifest``: YAML with a top-level ``kind:`` or ``apiVersion:`` (or JSON).

    Raises :class:`ComponentFlagsError` for anything else.
    """
    if _find_service_execstarts(text.splitlines()):
        return "systemd"
    if re.search(r"^[ \t]*\[Service\][ \t]*$", text, re.MULTILINE):
        raise ComponentFlagsError(
            "this systemd unit has no ExecStart= in its [Service] section: point path at the unit "
            "(or drop-in) that holds the ExecStart= command line"
        )
    meaningful = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", ";"))]
    if meaningful and all(_ENV_LINE_RE.match(line) for line in meaningful):
        return "env"
    if _YAML_HINT_RE.search(text) or text.lstrip().startswith("{"):
        return "manifest"
    raise ComponentFlagsError(
        "cannot tell the file format: expected a static Pod manifest (YAML with kind: Pod), "
        "an environment file (NAME=\"--flag=value ...\" lines) or a systemd unit ([Service] with ExecStart=); "
        "point path at one of those"
    )


def patch_text(
    text: str,
    changes: Dict[str, Optional[str]],
    container: Optional[str] = None,
    env_var: Optional[str] = None,
) -> PatchResult:
    """Detect the format of ``text`` and apply ``changes`` with the matching patcher."""
    fmt = detect_format(text)
    if fmt == "manifest":
        return patch_manifest_text(text, changes, container)
    if fmt == "env":
        return patch_env_text(text, changes, env_var)
    return patch_systemd_text(text, changes)


# --------------------------------------------------------------------------- manifests


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


# --------------------------------------------------------------------------- words in a line


class _Word(NamedTuple):
    """A word of a command line held in text: its line, its span there, its raw text."""

    line: int
    start: int
    end: int
    raw: str


def _split_ending(line: str) -> Tuple[str, str]:
    """Split a line into its body and its line ending (``\\n``, ``\\r\\n`` or ``""``)."""
    body = line.rstrip("\r\n")
    return body, line[len(body):]


def _splice_line(
    body: str,
    start: int,
    end: int,
    spans: Sequence[Tuple[int, int]],
    edits: Dict[int, Optional[str]],
    appended: Sequence[str],
) -> str:
    """Rewrite the words found at ``spans`` inside ``body[start:end]``.

    ``edits`` maps a position in ``spans`` to its new word (``None`` deletes it with
    the blank before it); ``appended`` words follow the last word, one space apart.
    The blanks before the first word and after the last one, and everything outside
    ``start:end``, are kept.
    """
    if not spans:
        region = body[start:end].rstrip(" \t")
        joined = " ".join(appended)
        return body[:start] + region + (" " if region and joined else "") + joined + body[end:]
    lead = body[start:spans[0][0]]
    trailer = body[spans[-1][1]:end]
    kept: List[List[str]] = []
    previous = spans[0][0]
    for number, (w_start, w_end) in enumerate(spans):
        blank, word = body[previous:w_start], body[w_start:w_end]
        previous = w_end
        if number in edits:
            new_word = edits[number]
            if new_word is None:
                continue
            word = new_word
        kept.append([blank, word])
    if kept:
        kept[0][0] = ""
    for word in appended:
        kept.append([" " if kept else "", word])
    return body[:start] + lead + "".join(blank + word for blank, word in kept) + trailer + body[end:]


_WORD_RE = re.compile(r"(?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s\"']+)+")
_CHUNK_RE = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|([^\"']+)")


def _unquote_word(raw: str) -> str:
    """Remove the quotes of a systemd command-line word (``"--a=b c"`` → ``--a=b c``)."""
    result = []
    for double, single, plain in _CHUNK_RE.findall(raw):
        if plain:
            result.append(plain)
        elif single:
            result.append(single)
        else:
            result.append(re.sub(r"\\(.)", r"\1", double))
    return "".join(result)


# --------------------------------------------------------------------------- environment files


def _env_assignments(lines: Sequence[str]) -> List[Tuple[int, Any]]:
    """Return ``(line number, match)`` for every ``NAME=value`` line; comments and blanks skip.

    Raises for a line that is neither, naming only its number (values can be secret).
    """
    found = []
    for number, line in enumerate(lines):
        body, _ending = _split_ending(line)
        if not body.strip() or body.lstrip().startswith(("#", ";")):
            continue
        match = _ENV_LINE_RE.match(body)
        if not match:
            raise ComponentFlagsError(
                "line %d of the environment file is not NAME=value: fix or remove that line" % (number + 1)
            )
        found.append((number, match))
    return found


def _env_value_region(match: Any) -> Tuple[int, int, str]:
    """Return the span of the words inside an assignment's value and its quote (or ``""``)."""
    value = match.group("value")
    start = match.start("value")
    if value[:1] in ("'", '"'):
        quote = value[0]
        if len(value) < 2 or not value.endswith(quote):
            raise ComponentFlagsError(
                "the value of %s opens a %s quote it does not close on the same line: "
                "close the quote (multi-line values are not supported)" % (match.group("name"), quote)
            )
        return start + 1, start + len(value) - 1, quote
    return start, start + len(value), ""


def patch_env_text(text: str, changes: Dict[str, Optional[str]], env_var: Optional[str] = None) -> PatchResult:
    """Apply ``changes`` to the flags held in one variable of an environment file.

    The variable is ``env_var`` or, when not given, the only variable in the file.
    When it is assigned more than once the last assignment counts (as for systemd's
    ``EnvironmentFile=``) and is the one edited. Only the words inside its value
    change; every other byte of the file stays as it was. An unquoted value that
    grows to several words is double-quoted. The diff texts hold that one line only,
    so the other variables of the file are never echoed.
    """
    lines = text.splitlines(True)
    assignments = _env_assignments(lines)
    names: List[str] = []
    for _number, match in assignments:
        if match.group("name") not in names:
            names.append(match.group("name"))
    if env_var is None:
        if len(names) != 1:
            raise ComponentFlagsError(
                "the environment file defines %s: set env_var to the variable that holds the flags"
                % ("no variable" if not names else "several variables (%s)" % ", ".join(names))
            )
        env_var = names[0]
    elif env_var not in names:
        raise ComponentFlagsError(
            "the environment file has no variable %s (variables present: %s): set env_var to one of them, "
            "or add %s=\"\" to the file first" % (env_var, ", ".join(names) or "none", env_var)
        )
    number, match = [item for item in assignments if item[1].group("name") == env_var][-1]
    body, ending = _split_ending(lines[number])
    start, end, quote = _env_value_region(match)
    spans = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", body[start:end])]
    words = [body[a:b] for a, b in spans]
    edits = plan_edits(words, changes)
    _check_words(edits, "environment variable %s" % env_var)
    new_words = apply_edits(words, edits)
    new_body = body
    if edits:
        new_body = _splice_line(
            body, start, end, spans,
            {edit.index: edit.word for edit in edits if edit.op != "append"},  # type: ignore[misc]
            [edit.word for edit in edits if edit.op == "append"],  # type: ignore[misc]
        )
        if not quote and len(new_words) > 1:
            new_end = len(new_body) - (len(body) - end)
            new_body = new_body[:start] + '"' + new_body[start:new_end] + '"' + new_body[new_end:]
    lines[number] = new_body + ending
    new_text = "".join(lines)
    secrets = secret_words(words + new_words)
    return PatchResult(
        new_text, new_text != text, flags_map(new_words), "env", body + ending, new_body + ending, secrets
    )


# --------------------------------------------------------------------------- systemd units


_CONTINUED_RE = re.compile(r"^(?P<body>.*?)(?P<gap>[ \t]*)\\[ \t]*$")


def _is_comment(body: str) -> bool:
    """Tell whether a unit-file line is a comment (``#`` or ``;`` first)."""
    return body.lstrip().startswith(("#", ";"))


def _logical_lines(lines: Sequence[str]) -> List[List[int]]:
    """Group a unit file's physical lines into logical lines (backslash continuation).

    Comment lines inside a continued line belong to it and are skipped by systemd.
    """
    groups: List[List[int]] = []
    number = 0
    while number < len(lines):
        group = [number]
        body = _split_ending(lines[number])[0]
        while not _is_comment(body) and _CONTINUED_RE.match(body) and number + 1 < len(lines):
            number += 1
            group.append(number)
            body = _split_ending(lines[number])[0]
            while _is_comment(body) and number + 1 < len(lines):
                number += 1
                group.append(number)
                body = _split_ending(lines[number])[0]
        groups.append(group)
        number += 1
    return groups


def _find_service_execstarts(lines: Sequence[str]) -> List[List[int]]:
    """Return the physical line numbers of each ``ExecStart=`` of the ``[Service]`` section."""
    section = None
    found = []
    for group in _logical_lines(lines):
        body = _split_ending(lines[group[0]])[0]
        header = _SECTION_RE.match(body)
        if header:
            section = header.group("name").strip()
        elif section == "Service" and _EXECSTART_RE.match(body):
            found.append(group)
    return found


def _execstart_words(lines: Sequence[str], group: Sequence[int]) -> Tuple[List[_Word], Dict[int, Tuple[int, int]]]:
    """Return the words of one ``ExecStart=`` entry and each line's word region."""
    words: List[_Word] = []
    regions: Dict[int, Tuple[int, int]] = {}
    for position, number in enumerate(group):
        body = _split_ending(lines[number])[0]
        if position and _is_comment(body):
            continue
        start = _EXECSTART_RE.match(body).end("key") if position == 0 else 0  # type: ignore[union-attr]
        continued = _CONTINUED_RE.match(body)
        end = continued.end("body") if continued else len(body)
        regions[number] = (start, max(start, end))
        for match in _WORD_RE.finditer(body, start, max(start, end)):
            words.append(_Word(number, match.start(), match.end(), match.group()))
    return words, regions


def patch_systemd_text(text: str, changes: Dict[str, Optional[str]]) -> PatchResult:
    """Apply ``changes`` to the ``ExecStart=`` command line of a systemd unit.

    The last non-empty ``ExecStart=`` of the ``[Service]`` section is edited (an empty
    ``ExecStart=`` in a drop-in only resets the list). Its layout is kept: a word is
    changed in place, a removed flag takes its line with it when it stood alone there,
    and new flags go at the end, each on its own continuation line when the command
    line spans several lines (indented like the last one), else on the same line.
    The executable (first word) is never read as a flag.
    """
    lines = text.splitlines(True)
    entries = [group for group in _find_service_execstarts(lines) if _execstart_words(lines, group)[0]]
    if not entries:
        raise ComponentFlagsError(
            "the unit's [Service] section has only empty ExecStart= lines: point path at the unit "
            "or drop-in that sets the command line"
        )
    group = entries[-1]
    words, regions = _execstart_words(lines, group)
    argv = [_unquote_word(word.raw) for word in words]
    # Word 0 is the executable (maybe with a -@+! prefix); flags follow it.
    edits = [
        Edit(edit.op, None if edit.index is None else edit.index + 1, edit.word)
        for edit in plan_edits(argv[1:], changes)
    ]
    _check_words(edits, "a systemd ExecStart= line")
    new_argv = apply_edits(argv, edits)
    if not edits:
        return PatchResult(text, False, flags_map(argv[1:]), "systemd", text, text, secret_words(argv[1:]))
    per_line: Dict[int, Dict[int, Optional[str]]] = {}
    spans: Dict[int, List[Tuple[int, int]]] = {}
    positions: Dict[int, Tuple[int, int]] = {}
    for index, word in enumerate(words):
        spans.setdefault(word.line, []).append((word.start, word.end))
        positions[index] = (word.line, len(spans[word.line]) - 1)
    for edit in edits:
        if edit.op != "append":
            line, position = positions[edit.index]  # type: ignore[index]
            per_line.setdefault(line, {})[position] = edit.word
    appended = [edit.word for edit in edits if edit.op == "append"]
    # Lines holding words (and the ExecStart= line); a blank line that ends the
    # continuation holds none and stays where it is.
    content_lines = [number for number in group if number == group[0] or spans.get(number)]
    multiline = len(content_lines) > 1
    last = content_lines[-1]
    bodies = {number: _split_ending(lines[number]) for number in group}
    new_lines: Dict[int, Optional[str]] = {}
    for number in content_lines:
        body, ending = bodies[number]
        start, end = regions[number]
        extra = appended if (number == last and not multiline) else []
        if number not in per_line and not extra:
            continue
        new_body = _splice_line(body, start, end, spans.get(number, []), per_line.get(number, {}), extra)
        emptied = number != group[0] and spans.get(number) and not new_body[start:].strip(" \t\\")
        new_lines[number] = None if emptied else new_body + ending
    remaining = [number for number in content_lines if new_lines.get(number, "") is not None]
    result_last = remaining[-1]
    if last not in remaining:
        # The old last line went: the new last line must not continue any more.
        body, ending = _split_ending(new_lines.get(result_last) or lines[result_last])
        continued = _CONTINUED_RE.match(body)
        new_lines[result_last] = (continued.group("body") if continued else body) + ending
    if appended and multiline:
        body, ending = _split_ending(new_lines.get(result_last) or lines[result_last])
        continued = _CONTINUED_RE.match(body)
        body = continued.group("body") if continued else body
        gap = _continuation_gap(lines, content_lines)
        indent = _continuation_indent(lines, content_lines)
        newline = ending or "\n"
        added = body.rstrip(" \t") + gap + "\\" + newline
        for position, word in enumerate(appended):
            if position < len(appended) - 1:
                added += indent + word + gap + "\\" + newline
            else:
                added += indent + word + ending
        new_lines[result_last] = added
    rebuilt = []
    for number, line in enumerate(lines):
        if number in new_lines:
            if new_lines[number] is not None:
                rebuilt.append(new_lines[number])
        else:
            rebuilt.append(line)
    new_text = "".join(rebuilt)  # type: ignore[arg-type]
    secrets = secret_words(argv[1:] + new_argv[1:])
    return PatchResult(new_text, new_text != text, flags_map(new_argv[1:]), "systemd", text, new_text, secrets)


def _continuation_gap(lines: Sequence[str], content_lines: Sequence[int]) -> str:
    """Return the blank the entry writes before its continuation backslashes (``" "``)."""
    for number in content_lines:
        continued = _CONTINUED_RE.match(_split_ending(lines[number])[0])
        if continued:
            return continued.group("gap") or " "
    return " "


def _continuation_indent(lines: Sequence[str], content_lines: Sequence[int]) -> str:
    """Return the indentation of the entry's last continuation line (two spaces if none)."""
    for number in reversed(content_lines[1:]):
        body = _split_ending(lines[number])[0]
        if body.strip():
            return body[: len(body) - len(body.lstrip(" \t"))]
    return "  "
