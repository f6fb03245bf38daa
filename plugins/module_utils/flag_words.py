# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The words of a component's command line: which are flags, what they set, and how to change them.

Everything here is a pure function over lists of words (and, for the file formats, over one line
of text), so the file formats (:mod:`flags_manifest`, :mod:`flags_envfile`, :mod:`flags_systemd`),
filters, action plugins and the ``component_flags`` module share one set of rules. The flag rules
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
applies them to its own text (:func:`_splice_line` for words held in a line) so that
everything it does not edit stays as it was; each returns a :class:`PatchResult`.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

#: What :func:`flags_map` reports for a bare boolean flag (``--flag``).
BARE_FLAG_VALUE = "true"
#: Words in a flag name that make its value secret (never echoed).
SECRET_WORDS = frozenset(("token", "password", "passwd", "secret"))
#: Last words of a flag name whose value is a location, not the secret itself.
LOCATION_WORDS = frozenset(("file", "files", "dir", "path", "paths"))

_FLAG_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_UNBRACED_VAR_RE = re.compile(r"^\$" + _ENV_NAME + r"$")
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


# --------------------------------------------------------------------------- words in a line


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
