# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Flags on the ``ExecStart=`` command line of a systemd unit, as hand-installed components keep them.

A hand-installed component (``kube-apiserver.service``, ...) takes its flags from the last
non-empty ``ExecStart=`` of the unit's ``[Service]`` section, usually one flag per continuation
line (systemd.service(5), ``ExecStart=``; systemd.syntax(7): backslash continuation, ``#`` and
``;`` comments, quoting of command-line words). Here: finding that line, its words and their
places, and :func:`patch_systemd_text`, which edits them in the line's own layout. Which unit,
drop-in or ``EnvironmentFile=`` variable holds a flag is decided in :mod:`units`; the flag rules
are those of :mod:`flag_words`.
"""

from __future__ import annotations

import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flag_words import (
    ComponentFlagsError,
    Edit,
    PatchResult,
    _check_words,
    _splice_line,
    _split_ending,
    apply_edits,
    flags_map,
    plan_edits,
    secret_words,
)

_SECTION_RE = re.compile(r"^[ \t]*\[(?P<name>[^\]]+)\][ \t]*$")
_EXECSTART_RE = re.compile(r"^(?P<key>[ \t]*ExecStart[ \t]*=[ \t]*)(?P<rest>.*)$")


class _Word(NamedTuple):
    """A word of a command line held in text: its line, its span there, its raw text."""

    line: int
    start: int
    end: int
    raw: str


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
