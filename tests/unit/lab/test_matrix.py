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
    assert ("v1.37.2", "nftables") in runs and all(mode in ("iptables", "nftables") for _v, mode in runs)


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
