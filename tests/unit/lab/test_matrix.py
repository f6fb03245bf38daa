"""tests/lab/matrix.py's pure parts: runs per kube-proxy mode, recap sums, the README table."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))
import matrix  # noqa: E402  pylint: disable=wrong-import-position


def test_runs_name_a_release_and_a_proxy_mode():
    assert matrix.split_run("v1.37.2") == ("v1.37.2", "iptables")
    assert matrix.split_run("v1.37.2:nftables") == ("v1.37.2", "nftables")
    assert matrix.row_key("v1.37.2", "iptables") == "v1.37.2"
    assert matrix.row_key("v1.37.2", "nftables") == "v1.37.2 nftables"
    # The default runs: every supported line with iptables, nftables on the newest.
    runs = [matrix.split_run(r) for r in matrix.RELEASES + matrix.MODES]
    assert ("v1.37.2", "nftables") in runs and ("v1.37.2", "ipvs") in runs


def test_ipvs_runs_on_user_mode_linux_when_the_host_kernel_has_none(tmp_path):
    assert matrix.lab_kernel("ipvs", tmp_path / "ip_vs") == "uml"
    assert matrix.lab_kernel("nftables", tmp_path / "ip_vs") == "host"
    (tmp_path / "ip_vs").write_text("")
    assert matrix.lab_kernel("ipvs", tmp_path / "ip_vs") == "host"


def test_ipvs_proof_counts_virtual_servers_per_family():
    table = ("IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n"
             "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
             "TCP  10.96.0.1:443 rr\n  -> 192.168.77.11:6443           Masq    1      0          0\n"
             "UDP  10.96.0.10:53 rr\nTCP  [fd00:10:96::a]:53 rr\n  -> [fd00:10:244::5]:53  Masq    1      0   0\n")
    assert matrix.ipvs_proof(table) == "kube-proxy ipvs: 2 IPv4 and 1 IPv6 virtual servers (e.g. [fd00:10:96::a]:53)"
    assert "NO IPv6" in matrix.ipvs_proof("TCP  10.96.0.1:443 rr\n")


def test_recap_changed_sums_the_last_recap():
    out = ("PLAY RECAP ***\ncp1 : ok=3 changed=9\nPLAY RECAP ***\n"
           "cp1 : ok=84 changed=13 unreachable=0\nw1 : ok=47 changed=8 unreachable=0\n")
    assert matrix.recap_changed(out) == 21


def test_table_has_a_row_per_run_with_its_date_and_mode():
    rows = [{"release": "v1.37.2", "proxy_mode": "nftables", "date": "2026-12-06", "passed": False, "stopped": "rollback",
             "convert_s": 250.0, "convert_changed": 65, "second_s": 70.1, "rollback_s": 280.0, "notes": ["a|b", "c"]},
            {"release": "v1.38.0-beta.0", "date": "2026-12-06", "passed": False, "stopped": "up", "preview": True,
             "notes": ["dslab up: 403"]}]
    lines = matrix.table(rows).splitlines()
    assert lines[0].startswith("| release | kube-proxy | run on | result |")
    assert lines[2] == "| v1.37.2 | nftables | 2026-12-06 | fail (rollback) | 250.0 (65) | 70.1 | 280.0 | a/b; c |"
    assert lines[3] == "| v1.38.0-beta.0 | iptables | 2026-12-06 | fail (up), preview |  |  |  | dslab up: 403 |"
    rows[0].update(proxy_mode="ipvs", kernel="uml")
    assert matrix.table(rows).splitlines()[2].startswith("| v1.37.2 | ipvs (User-Mode Linux nodes) | 2026-12-06 |")


def test_uml_timeouts_are_the_roles_own_variables():
    roles = Path(__file__).resolve().parents[3] / "roles"
    defaults = "".join(p.read_text() for p in roles.glob("*/defaults/main.yml"))
    for name in matrix.UML_TIMEOUTS:
        assert "\n%s:" % name in "\n" + defaults, name
