# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Flags held in one variable of an environment file, as ``/var/lib/kubelet/kubeadm-flags.env`` holds them.

kubeadm writes the kubelet's flags as ``KUBELET_KUBEADM_ARGS="--a=b --c=d"`` and its systemd
drop-in ``10-kubeadm.conf`` reads the file with ``EnvironmentFile=`` (systemd.exec(5):
``NAME=value`` lines, ``#`` and ``;`` comments, the last assignment of a variable wins).
:func:`patch_env_text` edits the words of one variable's value and leaves every other byte of the
file as it was. The flag rules are those of :mod:`flag_words`.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flag_words import (
    _ENV_NAME,
    ComponentFlagsError,
    PatchResult,
    _check_words,
    _splice_line,
    _split_ending,
    apply_edits,
    flags_map,
    plan_edits,
    secret_words,
)

_ENV_LINE_RE = re.compile(
    r"^(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<name>" + _ENV_NAME + r")"
    r"(?P<eq>[ \t]*=[ \t]*)(?P<value>.*?)(?P<trail>[ \t]*)$"
)


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
