# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The state file of the kubectl stand-in (module_utils/fixtures/cni/fake_kubectl.py) for the module tests."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def state(tmp_path, monkeypatch):
    path = tmp_path / "kube.json"
    path.write_text(json.dumps({"objects": [], "log": []}))
    monkeypatch.setenv("FAKE_KUBE_STATE", str(path))
    return path
