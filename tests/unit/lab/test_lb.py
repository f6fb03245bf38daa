"""Unit tests of dslab.lb (the HA lab's HAProxy configuration; no process is started)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from dslab import lb  # noqa: E402


@pytest.fixture
def ha(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_CONTROL_PLANES", "3")


def test_one_checked_server_per_control_plane(ha: None) -> None:
    text = lb.config(6443)
    servers = [line.split() for line in text.splitlines() if line.strip().startswith("server ")]
    assert [(s[1], s[2]) for s in servers] == [
        ("dslab-cp1", "192.168.77.11:6443"), ("dslab-cp2", "192.168.77.12:6443"), ("dslab-cp3", "192.168.77.13:6443")]
    assert all("check" in s and "check-ssl" in s for s in servers)


def test_frontend_on_both_families_and_readyz_over_tls(ha: None) -> None:
    text = lb.config(6443)
    assert "bind 192.168.77.10:6443" in text and "bind [fd00:77::10]:6443" in text
    assert "http-check connect ssl" in text
    assert "http-check send meth GET uri /readyz" in text
    assert "http-check expect status 200" in text
    assert f"stats socket {lb.admin_socket()} mode 600 level admin" in text


@pytest.mark.skipif(shutil.which(lb.HAPROXY) is None, reason="Debian's haproxy is not installed")
def test_haproxy_accepts_the_configuration(ha: None, tmp_path: Path) -> None:
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(lb.config(6443))
    proc = subprocess.run([lb.HAPROXY, "-c", "-f", str(cfg)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_servers_parses_show_stat(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = ("# pxname,svname,qcur,status,check_status\n"
              "apiserver,FRONTEND,,OPEN,\n"
              "apiservers,dslab-cp1,0,UP,L7OK\n"
              "apiservers,dslab-cp2,0,DRAIN,L7OK\n"
              "apiservers,dslab-cp3,0,DOWN,L4CON\n"
              "apiservers,BACKEND,0,UP,\n")
    monkeypatch.setattr(lb, "command", lambda text, timeout=5: answer)
    assert lb.servers() == {"dslab-cp1": {"status": "UP", "check": "L7OK"},
                            "dslab-cp2": {"status": "DRAIN", "check": "L7OK"},
                            "dslab-cp3": {"status": "DOWN", "check": "L4CON"}}
    monkeypatch.setattr(lb, "command", lambda text, timeout=5: "")
    assert lb.servers() == {}
