"""Picking a component's error lines from its log (module_utils/journal.py)."""

from __future__ import annotations

from ansible_collections.dualstack.kubernetes.plugins.module_utils.journal import error_lines

# The journal of a lab kubelet given three --node-ip addresses (tests/lab/fault.py kubelet), 2026-12-04, as journalctl -o cat prints it.
KUBELET = "\n".join([
    'E1204 21:32:04.359873   67784 log.go:32] "RuntimeConfig from runtime service failed" err="rpc error: code = '
    'Unimplemented desc = unknown method RuntimeConfig for service runtime.v1.RuntimeService"',
    'I1204 21:32:04.567954   67784 server.go:903] "Failed to ApplyOOMScoreAdj" err="write /proc/self/oom_score_adj: '
    'permission denied"',
    'E1204 21:32:04.568060   67784 run.go:72] "command failed" err="failed to run Kubelet: bad --node-ip '
    '\\"192.168.77.11,fd00:77::11,192.0.2.1\\": must contain either a single IP or a dual-stack pair of IPs"',
    "kubelet.service: Main process exited, code=exited, status=1/FAILURE",
    "kubelet.service: Failed with result 'exit-code'.",
])


def test_the_line_that_says_why_it_stopped_is_picked():
    assert error_lines(KUBELET) == [KUBELET.splitlines()[2]]


def test_fatal_kinds_before_other_errors():
    lines = ["I0101 ok", "E0101 noise", "Error: unknown flag: --nope", "W0101 warn", "F0101 fatal"]
    assert error_lines(lines) == ["Error: unknown flag: --nope", "F0101 fatal"]
    assert error_lines(["I0101 ok", "E0101 one", "E0102 two"]) == ["E0101 one", "E0102 two"]


def test_without_an_error_the_last_lines():
    assert error_lines(["a", "b", "c", "d"], keep=2) == ["c", "d"]
    assert error_lines(None) == [] and error_lines("a", keep=0) == []


def test_error_lines_are_found_in_container_logs_and_pod_log_files():
    from ansible_collections.dualstack.kubernetes.plugins.module_utils.journal import holds_error, log_text
    cri = "2026-12-04T21:03:11.123456789Z stderr F E1204 21:03:11.123456 1 run.go:72] \"command failed\""
    assert log_text(cri).startswith("E1204 ")
    assert holds_error([cri]) and holds_error("I1204 starting\nError: invalid argument \"a,b,c\"")
    assert not holds_error("I1204 21:03:11 serving\n2026-12-04T21:03:11Z stdout F I1204 ok") and not holds_error(None)
