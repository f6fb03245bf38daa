# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The load-balancer hooks' shape, checked in preflight (plugins/module_utils/rotation_hooks.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.rotation_hooks import check_rotation_hooks, hook_problems, is_unset

REPO = Path(__file__).resolve().parents[4]
ARGV = ["socat", "-", "UNIX-CONNECT:/run/dslab-lb/admin.sock"]
OUT = {"argv": ARGV, "stdin": "set server apiservers/{{ inventory_hostname }} state drain", "host": "localhost",
       "drain_seconds": 1}
IN = {"argv": ARGV, "stdin": "set server apiservers/{{ inventory_hostname }} state ready", "settle_seconds": "3"}


def test_unset_hooks_and_the_labs_pass():
    check_rotation_hooks({}, {})
    check_rotation_hooks({"cp1": {}, "cp2": None}, {"cp1": {}})
    check_rotation_hooks({"cp1": OUT, "cp2": OUT}, {"cp1": IN, "cp2": IN})
    sys.path.insert(0, str(REPO / "lab"))
    from dslab import lb  # the hooks `dslab inventory` prints for the HA lab

    hooks = lb.rotation_vars()
    check_rotation_hooks({"dslab-cp1": hooks["control_plane_rotation_out"]}, {"dslab-cp1": hooks["control_plane_rotation_in"]})


def test_the_molecule_ha_hooks_pass():
    config = yaml.safe_load((REPO / "molecule" / "ha" / "molecule.yml").read_text())
    group_vars = config["provisioner"]["inventory"]["group_vars"]["all"]
    check_rotation_hooks({"cp": group_vars["control_plane_rotation_out"]}, {"cp": group_vars["control_plane_rotation_in"]})


@pytest.mark.parametrize("direction, hook, words", [
    ("out", {"argv": "socat - UNIX-CONNECT:/x"}, "argv 'socat - UNIX-CONNECT:/x' is not a non-empty list"),
    ("out", {"argv": []}, "argv [] is not a non-empty list"),
    ("out", {"stdin": "x"}, "argv None is not"),
    ("in", {"argv": ["a", ""]}, "argv ['a', ''] is not"),
    ("in", {"argv": ["a"], "stdin": ["x"]}, "stdin ['x'] is not text"),
    ("in", {"argv": ["a"], "host": ""}, "host '' is not a host name"),
    ("out", {"argv": ["a"], "drain_seconds": -1}, "drain_seconds -1 is not a whole number"),
    ("in", {"argv": ["a"], "settle_seconds": "soon"}, "settle_seconds 'soon' is not a whole number"),
    ("in", {"argv": ["a"], "settle_seconds": True}, "settle_seconds True is not"),
    ("in", {"argv": ["a"], "drain_seconds": 1}, "unknown key(s) drain_seconds (it takes argv, stdin, host, settle_seconds)"),
    ("out", "socat", "is str, not a mapping of argv, stdin, host, drain_seconds"),
])
def test_each_shape_problem_is_named(direction, hook, words):
    problems = hook_problems(direction, hook)
    assert any(words in p for p in problems), problems


def test_out_without_in_is_refused():
    with pytest.raises(DualStackError, match="control_plane_rotation_out on cp2 is set but control_plane_rotation_in "
                                             "is not: every kube-apiserver taken out"):
        check_rotation_hooks({"cp1": OUT, "cp2": OUT}, {"cp1": IN})


def test_in_alone_is_allowed():
    # Putting back a server a killed run left drained needs no "out".
    check_rotation_hooks({}, {"cp1": IN})


def test_every_problem_in_one_error_with_host_and_variable():
    with pytest.raises(DualStackError) as err:
        check_rotation_hooks({"cp1": {"argv": "x"}}, {"cp1": {"argv": ["y"], "settle_seconds": "x"}, "cp2": 5})
    text = str(err.value)
    assert text.startswith("load-balancer hooks: ")
    assert "control_plane_rotation_out on cp1 argv 'x'" in text
    assert "control_plane_rotation_in on cp1 settle_seconds 'x'" in text
    assert "control_plane_rotation_in on cp2 is int, not a mapping" in text


@pytest.mark.parametrize("hook, unset", [(None, True), ("", True), ({}, True), ({"argv": ["true"]}, False),
                                         ([], False), (0, False)])
def test_is_unset_only_for_no_value_empty_text_or_empty_mapping(hook, unset):
    assert is_unset(hook) is unset
