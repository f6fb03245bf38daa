# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Run a kubectl module against the kubectl stand-in of the role tests (module_utils/fixtures/cni/fake_kubectl.py)
and read or set what the stand-in holds (the ``state`` fixture's file, conftest.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args

FAKE = Path(__file__).resolve().parents[1] / "module_utils" / "fixtures" / "cni" / "fake_kubectl.py"


def load(state):
    return json.loads(state.read_text())


def save(state, data):
    state.write_text(json.dumps(data))


def store(state, obj, version="7"):
    obj = json.loads(json.dumps(obj))
    obj["metadata"].update(resourceVersion=version, uid="u-1", creationTimestamp="2026-12-05T00:00:00Z",
                           managedFields=[{"manager": "kubectl"}])
    data = load(state)
    data["objects"] = [o for o in data["objects"] if o["metadata"]["name"] != obj["metadata"]["name"]] + [obj]
    save(state, data)
    return obj


def verbs(state):
    return load(state).get("calls", [])


def sequence(state, obj_key, states):
    data = load(state)
    data["sequence"] = {obj_key: states}
    save(state, data)


def run(capsys, module, check=False, diff=False, **args):
    args = dict(args, kubectl="%s %s" % (sys.executable, FAKE), _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)
