# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the command-line flags of a systemd service live.

A hand-installed component (kube-apiserver.service, kubelet.service, ...) gets its
command line from the last non-empty ``ExecStart=`` of its unit and drop-ins, with
``$NAME`` words replaced by variables from ``Environment=`` and ``EnvironmentFile=``
(systemd.exec(5), "Command lines"; systemd.service(5), ``ExecStart=``). kubeadm's
kubelet is the same shape: ``10-kubeadm.conf`` runs
``kubelet ... $KUBELET_KUBEADM_ARGS`` from ``/var/lib/kubelet/kubeadm-flags.env``.

Each place a flag can be written is a :class:`Source`; :func:`route_changes` picks,
per flag, the source to edit: where the flag is set last (pflag's last-wins rule),
or, for a new flag, the command line itself when it holds flags, else the first
variable read from an environment file (kubeadm writes ``KUBELET_KUBEADM_ARGS``).
Values set by ``Environment=`` inside a unit are read but never edited.
"""

from __future__ import annotations

import re
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flag_words import (
    ComponentFlagsError,
    _split_ending,
    flags_map,
    is_flag,
    normalize_name,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flags_envfile import _env_assignments, _env_value_region
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flags_systemd import (
    _WORD_RE,
    _execstart_words,
    _find_service_execstarts,
    _logical_lines,
    _SECTION_RE,
    _unquote_word,
)

_SETTING_RE = re.compile(r"^[ \t]*(?P<key>Environment|EnvironmentFile)[ \t]*=[ \t]*(?P<value>.*?)[ \t]*$")
_VAR_WORD_RE = re.compile(r"^\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))$")

#: Source kinds: the ExecStart= line, a variable of an environment file, an Environment= value.
EXEC, ENV_FILE, INLINE = "exec", "env", "inline"


class Source(NamedTuple):
    """One place that contributes words to the command line.

    ``kind`` is :data:`EXEC` (``path`` is the unit or drop-in with the ExecStart=),
    :data:`ENV_FILE` (``env_var`` in the environment file ``path``) or :data:`INLINE`
    (``env_var`` set by ``Environment=`` in the unit file ``path``: read only).
    ``words`` are its words; for :data:`EXEC` the executable is left out.
    """

    kind: str
    path: str
    env_var: Optional[str]
    words: List[str]


class UnitLayout(NamedTuple):
    """What a unit's files say: the ExecStart= (file, argv) and the environment settings."""

    exec_path: str
    argv: List[str]
    environment: List[Tuple[str, str, str]]
    environment_files: List[Tuple[str, bool]]


def service_settings(text: str) -> List[Tuple[str, object]]:
    """Return the ``[Service]`` settings that shape the command line, in file order.

    Items are ``("ExecStart", argv)`` (argv unquoted; empty for a reset),
    ``("Environment", raw value)`` and ``("EnvironmentFile", raw value)``.
    """
    lines = text.splitlines(True)
    execstarts = {group[0]: group for group in _find_service_execstarts(lines)}
    section = None
    found: List[Tuple[str, object]] = []
    for group in _logical_lines(lines):
        body = _split_ending(lines[group[0]])[0]
        header = _SECTION_RE.match(body)
        if header:
            section = header.group("name").strip()
            continue
        if section != "Service":
            continue
        if group[0] in execstarts:
            words, _regions = _execstart_words(lines, execstarts[group[0]])
            found.append(("ExecStart", [_unquote_word(word.raw) for word in words]))
            continue
        match = _SETTING_RE.match(body)
        if match:
            found.append((match.group("key"), match.group("value")))
    return found


def unit_layout(unit_files: Sequence[Tuple[str, str]]) -> UnitLayout:
    """Merge the unit file and its drop-ins (in systemd's order) into one :class:`UnitLayout`.

    An empty ``ExecStart=``, ``Environment=`` or ``EnvironmentFile=`` resets what came
    before it (systemd.service(5), systemd.exec(5)); the last non-empty ``ExecStart=``
    is the command line. Raises :class:`ComponentFlagsError` when there is none.
    """
    exec_path, argv = "", []  # type: str, List[str]
    environment: List[Tuple[str, str, str]] = []
    environment_files: List[Tuple[str, bool]] = []
    for path, text in unit_files:
        for key, value in service_settings(text):
            if key == "ExecStart":
                if value:
                    exec_path, argv = path, list(value)  # type: ignore[call-overload]
                else:
                    exec_path, argv = "", []
            elif key == "Environment":
                if not value:
                    environment = []
                for raw in _WORD_RE.findall(str(value)):
                    name, sep, assigned = _unquote_word(raw).partition("=")
                    if sep:
                        environment.append((path, name, assigned))
            elif not value:
                environment_files = []
            else:
                optional = str(value).startswith("-")
                environment_files.append((str(value)[1:] if optional else str(value), optional))
    if not argv:
        raise ComponentFlagsError(
            "the unit and its drop-ins (%s) set no ExecStart= command line: check the unit name"
            % ", ".join(path for path, _text in unit_files)
        )
    return UnitLayout(exec_path, argv, environment, environment_files)


def env_file_variables(path: str, text: str) -> Dict[str, Source]:
    """Return each variable an environment file sets (the last assignment counts) as a :class:`Source`."""
    result: Dict[str, Source] = {}
    lines = text.splitlines(True)
    for number, match in _env_assignments(lines):
        body = _split_ending(lines[number])[0]
        start, end, _quote = _env_value_region(match)
        result[match.group("name")] = Source(ENV_FILE, path, match.group("name"), body[start:end].split())
    return result


def command_sources(layout: UnitLayout, env_texts: Mapping[str, Optional[str]]) -> List[Source]:
    """Return the sources of the command line in the order their words appear in it.

    ``env_texts`` maps each environment file of the layout to its text (``None`` when
    it does not exist). Variables from environment files override ``Environment=``
    ones (systemd.exec(5)); a ``$NAME`` word that nothing sets adds no words.
    """
    variables: Dict[str, Source] = {}
    for path, name, value in layout.environment:
        variables[name] = Source(INLINE, path, name, value.split())
    for path, _optional in layout.environment_files:
        text = env_texts.get(path)
        if text is not None:
            variables.update(env_file_variables(path, text))
    sources = [Source(EXEC, layout.exec_path, None, layout.argv[1:])]
    for word in layout.argv[1:]:
        match = _VAR_WORD_RE.match(word)
        name = match and (match.group("braced") or match.group("plain"))
        if name and name in variables:
            sources.append(variables[name])
    return sources


def literal_words(source: Source) -> List[str]:
    """Return a source's own words, without the ``$NAME`` references other sources fill in."""
    return [word for word in source.words if not _VAR_WORD_RE.match(word)]


def command_words(sources: Sequence[Source]) -> List[str]:
    """Return the flag words of the whole command line (variable references expanded)."""
    return [word for source in sources for word in literal_words(source)]


def default_source(sources: Sequence[Source]) -> int:
    """Return the index of the source a new flag goes to.

    The ExecStart= line when it already holds a flag (a hand-installed unit); else the
    first variable read from an environment file (kubeadm's ``KUBELET_KUBEADM_ARGS``,
    a packaged ``KUBE_API_ARGS``); else the ExecStart= line.
    """
    if any(is_flag(word) for word in sources[0].words):
        return 0
    for index, source in enumerate(sources):
        if source.kind == ENV_FILE:
            return index
    return 0


def route_changes(sources: Sequence[Source], changes: Mapping[str, Optional[str]]) -> Dict[int, Dict[str, Optional[str]]]:
    """Return, per source index, the flag changes to apply there.

    A flag to set goes where it is set last (the occurrence that counts); a new flag to
    :func:`default_source`; a flag to remove goes from every source that has it. Raises
    :class:`ComponentFlagsError` when a flag to change sits in an ``Environment=`` value.
    """
    routed: Dict[int, Dict[str, Optional[str]]] = {}
    held = [set(flags_map(literal_words(source))) for source in sources]
    for name, value in changes.items():
        key = normalize_name(name)
        holders = [index for index, names in enumerate(held) if key in names]
        targets = holders if value is None else (holders[-1:] or [default_source(sources)])
        for index in targets:
            source = sources[index]
            if source.kind == INLINE:
                raise ComponentFlagsError(
                    "--%s is set in Environment=\"%s=...\" of %s, which this module does not edit: move that "
                    "variable into an EnvironmentFile= or the flag onto the ExecStart= line" % (key, source.env_var, source.path)
                )
            routed.setdefault(index, {})[name] = value
    return routed


def process_start_time(proc_stat: str, now: float, now_since_boot: float, clock_ticks: int) -> float:
    """Return when a process started, in seconds since the epoch, from ``/proc/PID/stat``.

    Field 22 (``starttime``) counts clock ticks since boot (proc(5)); the process's age is
    the time since boot now (``CLOCK_BOOTTIME``) minus that, taken from ``now`` (the wall
    clock read at the same moment), so that wall-clock adjustments since boot (NTP) do not
    shift it as ``btime`` would. The command name in field 2 may hold spaces and
    parentheses, so fields are counted after its last ``)``.
    """
    fields = proc_stat[proc_stat.rindex(")") + 2:].split()
    return now - (now_since_boot - int(fields[19]) / float(clock_ticks))


def restart_needed(started: Optional[float], mtimes: Sequence[float]) -> bool:
    """Tell whether a service must restart to run with its files as they are now.

    True when it is not running (``started`` is ``None``) or any file that shapes its
    command line or configuration changed after its process started - also after an
    interrupted run that wrote the files but never restarted the service.
    """
    return started is None or any(mtime > started for mtime in mtimes)
