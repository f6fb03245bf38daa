# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The failed tasks of an ansible-playbook or Molecule output, printed again at its end.

A CI log is often read from its end, where Molecule leaves only its recap ("verify: Executed: Failed"); the task that
failed and its message are hundreds of lines above. scripts/lab-test.sh keeps each scenario's output and, when the
scenario fails, prints what this script finds in it: the last failures (``fatal: [host]`` or ``failed: [host]``
lines of the default callback, wrapped lines included, colours and Molecule's box border removed), each under the
``TASK [...]`` it belongs to. A failure followed by ``...ignoring`` is not one.
Usage: python3 scripts/failed_tasks.py LOG [LAST]   (LAST failures, default 3)
"""

from __future__ import annotations

import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
BORDER = re.compile(r"^\s*[│┃]\s?")
FAILURE = re.compile(r"^(fatal|failed): \[")
TASK = re.compile(r"^(TASK|RUNNING HANDLER) \[")
# The lines that end a failure's message: the next result, task, play or recap.
NEXT = re.compile(r"^(TASK \[|RUNNING HANDLER \[|PLAY |ok: \[|changed: \[|skipping: \[|included: |fatal: \[|failed: \[|"
                  r"\.\.\.ignoring|INFO |ERROR |WARNING |[┌└])")
LINES_PER_FAILURE = 12


def plain(line: str) -> str:
    """The line as a reader sees it: without colours or Molecule's box border."""
    return BORDER.sub("", ANSI.sub("", line)).rstrip()


def failures(lines: list[str]) -> list[list[str]]:
    """Each failure as its task line, its result line and the message lines after it (at most LINES_PER_FAILURE)."""
    found: list[list[str]] = []
    task = ""
    current: list[str] | None = None
    for raw in lines:
        line = plain(raw)
        if current is not None:
            if line.startswith("...ignoring"):
                found.remove(current)
                current = None
                continue
            if not NEXT.match(line):
                if line and len(current) < LINES_PER_FAILURE:
                    current.append(line)
                continue
            current = None
        if TASK.match(line):
            task = line
        elif FAILURE.match(line):
            current = [task, line] if task else [line]
            found.append(current)
    return found


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    last = int(argv[2]) if len(argv) == 3 else 3
    with open(argv[1], encoding="utf-8", errors="replace") as log:
        found = failures(log.read().splitlines())
    if not found:
        print("(no failed task in %s: the failure is Molecule's or the playbook's own, see its end above)" % argv[1])
    for failure in found[-last:]:
        print("\n".join(failure))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
