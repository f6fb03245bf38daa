# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The bridge_addresses module against a recording fake ``ip`` (modules/bridge_addresses.py)."""

from __future__ import annotations

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.dualstack.kubernetes.plugins.modules import bridge_addresses

SHOW = [{"ifname": "cni0", "addr_info": [{"family": "inet", "local": "10.244.1.1", "prefixlen": 24, "scope": "global"},
                                         {"family": "inet", "local": "10.244.5.1", "prefixlen": 24, "scope": "global"}]}]


@pytest.fixture
def fake_ip(tmp_path, monkeypatch):
    """An ``ip`` on PATH that prints SHOW for ``-j addr show dev cni0`` (fails for other links) and logs its calls."""
    log = tmp_path / "calls"
    script = tmp_path / "ip"
    script.write_text("#!/bin/sh\necho \"$*\" >> %s\ncase \"$*\" in\n  '-j addr show dev cni0') echo '%s' ;;\n"
                      "  *'show dev'*) echo 'Device does not exist' >&2; exit 1 ;;\nesac\n" % (log, json.dumps(SHOW)))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, os.environ["PATH"]))
    return log


def run(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            bridge_addresses.main()
    return json.loads(capsys.readouterr().out)


def test_removes_the_old_gateway_only(capsys, fake_ip):
    result = run(capsys, bridge="cni0", keep=["10.244.5.0/24", "fd00:10:244:5::/64"])
    assert result["changed"] is True and result["removed"] == ["10.244.1.1/24"]
    assert fake_ip.read_text().splitlines()[-1] == "addr del 10.244.1.1/24 dev cni0"


def test_check_mode_and_a_missing_bridge_change_nothing(capsys, fake_ip):
    result = run(capsys, bridge="cni0", keep=["10.244.5.0/24"], _ansible_check_mode=True)
    assert result["changed"] is True and result["removed"] == ["10.244.1.1/24"]
    assert "addr del" not in fake_ip.read_text()
    result = run(capsys, bridge="flannel9", keep=["10.244.5.0/24"])
    assert result["changed"] is False and result["removed"] == []
