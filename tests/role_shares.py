"""How much of the roles' task files is Jinja, and how many tasks run a command (a guide, not a gate).

Counts, over ``roles/*/tasks/*.yml`` (non-blank, non-comment lines):

* Jinja lines: lines holding ``{{`` or ``{%``, and the lines of conditions Ansible templates
  implicitly (``when``, ``until``, ``changed_when``, ``failed_when``, ``that``: the key's line and
  its continuation or list lines), except plain booleans;
* command tasks: tasks whose module is ``command`` or ``shell`` (any prefix), out of all tasks with
  a module (``block``, ``include_*``/``import_*`` and ``meta`` are not counted as tasks with work).

Usage: ``python tests/role_shares.py [REV ...]`` (default: the working tree; a git revision reads
that revision's files). Prints one line per source: Jinja lines / lines, command tasks / tasks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import yaml

REPO = Path(__file__).resolve().parents[1]
IMPLICIT = re.compile(r"^\s*-?\s*(when|until|changed_when|failed_when|that):\s*(.*)$")
KEYWORDS = {"name", "when", "until", "retries", "delay", "register", "loop", "loop_control", "vars", "tags",
            "changed_when", "failed_when", "check_mode", "no_log", "delegate_to", "run_once", "become", "notify",
            "ignore_errors", "environment", "args", "block", "rescue", "always", "listen", "throttle",
            "delegate_facts", "diff", "any_errors_fatal", "become_user", "timeout"}
NO_WORK = ("block", "include_tasks", "import_tasks", "include_role", "import_role", "meta")


def task_files(rev: str | None) -> Dict[str, str]:
    """path -> text of every roles/*/tasks/*.yml, in the working tree or at ``rev``."""
    if rev is None:
        return {str(p.relative_to(REPO)): p.read_text() for p in sorted(REPO.glob("roles/*/tasks/*.yml"))}
    names = subprocess.run(["git", "-C", str(REPO), "ls-tree", "-r", "--name-only", rev, "roles"],
                           capture_output=True, text=True, check=True).stdout.split()
    return {n: subprocess.run(["git", "-C", str(REPO), "show", "%s:%s" % (rev, n)], capture_output=True, text=True,
                              check=True).stdout
            for n in names if re.fullmatch(r"roles/[^/]+/tasks/[^/]+\.yml", n)}


def jinja_lines(text: str) -> Tuple[int, int]:
    """(Jinja lines, lines) of one file."""
    total = jinja = 0
    in_condition = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        total += 1
        indent = len(line) - len(line.lstrip())
        match = IMPLICIT.match(line)
        if match:
            value = match.group(2).strip()
            in_condition = indent if value in ("", ">-", "|", ">") else None
            jinja += value.lower() not in ("true", "false", "") or in_condition is not None
            continue
        if in_condition is not None and indent > in_condition:
            jinja += 1
            continue
        in_condition = None
        jinja += "{{" in line or "{%" in line
    return jinja, total


def tasks(items: Iterable) -> List[str]:
    """The module name of every task (nested blocks included)."""
    found: List[str] = []
    for task in items or []:
        if not isinstance(task, dict):
            continue
        for key in ("block", "rescue", "always"):
            found += tasks(task.get(key))
        modules = [k for k in task if k not in KEYWORDS]
        if modules:
            found.append(modules[0].rsplit(".", 1)[-1])
    return found


def shares(files: Dict[str, str]) -> Tuple[int, int, int, int]:
    jinja = lines = commands = work = 0
    for text in files.values():
        j, t = jinja_lines(text)
        jinja, lines = jinja + j, lines + t
        for module in tasks(yaml.safe_load(text)):
            if module in NO_WORK:
                continue
            work += 1
            commands += module in ("command", "shell")
    return jinja, lines, commands, work


def main(revs: List[str]) -> None:
    for rev in revs or [None]:
        jinja, lines, commands, work = shares(task_files(rev))
        print("%-12s Jinja lines %4d / %4d (%4.1f %%), command tasks %3d / %3d (%4.1f %%)"
              % (rev or "worktree", jinja, lines, 100.0 * jinja / lines, commands, work, 100.0 * commands / work))


if __name__ == "__main__":
    main(sys.argv[1:])
