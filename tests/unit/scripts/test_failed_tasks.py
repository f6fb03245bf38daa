# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""scripts/failed_tasks.py: the failed tasks of a Molecule output, found again for the end of a CI log."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "failed_tasks.py"
SPEC = importlib.util.spec_from_file_location("failed_tasks", SCRIPT)
failed_tasks = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(failed_tasks)


def boxed(text: str, colour: str = "") -> str:
    """A line as Molecule prints the playbook's output: inside its box, in colour."""
    if colour:
        return "  \x1b[2m\x1b[%sm│\x1b[0m \x1b[0;%sm%s\x1b[0m" % (colour, colour, text)
    return "  \x1b[2m│\x1b[0m %s" % text


VERIFY_FAILED = [
    "\x1b[36mINFO    \x1b[0m \x1b[32mha\x1b[0m ➜ \x1b[33mverify\x1b[0m: \x1b[36mExecuting\x1b[0m",
    boxed("TASK [Stop tests/lab/api_probe.py and read its counts]"),
    boxed("  *************************"),
    boxed("ok: [localhost]", "32"),
    boxed("TASK [Probe with a failure that is ignored]"),
    boxed('fatal: [localhost]: FAILED! => {"msg": "ignored"}', "31"),
    boxed("...ignoring", "36"),
    boxed("TASK [No failed /readyz probe, and the probe ran]"),
    boxed("  ******************************"),
    boxed("fatal: [localhost]: FAILED! => {", "31"),
    boxed('    "assertion": "counts.failed == 0",', "31"),
    boxed('    "msg": "/readyz through the load balancer failed: {\'failed\':', "31"),
    boxed("  3}\"", "31"),
    boxed("}", "31"),
    boxed("PLAY RECAP"),
    boxed("localhost : ok=1 changed=0 unreachable=0 failed=1"),
    "\x1b[31mERROR   \x1b[0m Ansible return code was 2, command was: ansible-playbook verify.yml",
]


def test_plain_removes_colours_and_the_box_border():
    assert failed_tasks.plain(boxed("fatal: [cp1]: FAILED! => {}", "31")) == "fatal: [cp1]: FAILED! => {}"
    assert failed_tasks.plain("plain text  \n") == "plain text"


def test_the_failure_with_its_task_and_wrapped_message_ignored_ones_left_out():
    assert failed_tasks.failures(VERIFY_FAILED) == [[
        "TASK [No failed /readyz probe, and the probe ran]",
        "fatal: [localhost]: FAILED! => {",
        '    "assertion": "counts.failed == 0",',
        '    "msg": "/readyz through the load balancer failed: {\'failed\':',
        "  3}\"",
        "}",
    ]]


def test_loop_items_each_a_failure_and_a_long_message_cut():
    message = [boxed("  line %d" % i, "31") for i in range(30)]
    lines = ([boxed("TASK [Pod-to-pod HTTP across nodes]"), boxed("failed: [cp1] (item=w1 -> w2) => {", "31")]
             + message + [boxed("failed: [cp1] (item=w2 -> w1) => {}", "31")])
    found = failed_tasks.failures(lines)
    assert [f[1] for f in found] == ["failed: [cp1] (item=w1 -> w2) => {", "failed: [cp1] (item=w2 -> w1) => {}"]
    assert len(found[0]) == failed_tasks.LINES_PER_FAILURE
    assert found[1][0] == "TASK [Pod-to-pod HTTP across nodes]"


def test_plain_ansible_output_without_molecule():
    lines = ["TASK [Every check passes] ***", 'fatal: [cp1]: FAILED! => {"msg": "dual-stack verification failed: x"}',
             "", "PLAY RECAP ***"]
    assert failed_tasks.failures(lines) == [["TASK [Every check passes] ***",
                                             'fatal: [cp1]: FAILED! => {"msg": "dual-stack verification failed: x"}']]


@pytest.mark.parametrize("last, expected", [(None, ["f2", "f3", "f4"]), ("1", ["f4"])])
def test_main_prints_the_last_failures(tmp_path, capsys, last, expected):
    log = tmp_path / "molecule.log"
    log.write_text("\n".join("TASK [t%d]\nfatal: [h]: FAILED! => f%d" % (i, i) for i in range(5)) + "\n")
    assert failed_tasks.main(["failed_tasks.py", str(log)] + ([last] if last else [])) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[-1] for line in printed if line.startswith("fatal")] == expected


def test_main_says_when_there_is_no_failed_task(tmp_path, capsys):
    log = tmp_path / "molecule.log"
    log.write_text("\n".join(VERIFY_FAILED[:4]) + "\n")
    failed_tasks.main(["failed_tasks.py", str(log)])
    assert "no failed task" in capsys.readouterr().out


def test_usage(capsys):
    assert failed_tasks.main(["failed_tasks.py"]) == 2
    assert "Usage" in capsys.readouterr().err
