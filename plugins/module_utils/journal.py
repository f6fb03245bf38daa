# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The lines of a component's log that say why it failed (klog errors, Cobra's ``Error:`` line).

Kubernetes components log through klog: an error line starts with ``E`` and the month and day
(``E1204 21:03:11.123456 ...``), a fatal one with ``F``; a command that refuses its flags exits
with ``Error: ...`` (Cobra) or klog's ``"command failed" err="..."`` (seen on a test cluster: a kubelet
given three ``--node-ip`` addresses logs ``run.go:72] "command failed" err="failed to run Kubelet:
bad --node-ip ...: must contain either a single IP or a dual-stack pair of IPs"``, after unrelated
error lines about the runtime). Those lines are preferred over the other error lines.
"""

from __future__ import annotations

import re
from typing import Any, List

#: Why the process stopped: klog's fatal lines, its "command failed", Cobra's "Error:".
FATAL_LINE = re.compile(r'^(?:F\d{4} |Error: )|"command failed"|"Failed to run kubelet"')
#: Any klog error line.
ERROR_LINE = re.compile(r"^E\d{4} ")


def error_lines(lines: Any, keep: int = 3) -> List[str]:
    """The last ``keep`` lines of ``lines`` (a list or text) that say why it stopped, else its last error lines,
    else its last lines."""
    text = lines.splitlines() if isinstance(lines, str) else [str(line) for line in lines or []]
    fatal = [line for line in text if FATAL_LINE.search(line)]
    errors = [line for line in text if ERROR_LINE.search(line)]
    return (fatal or errors or text)[-keep:] if keep > 0 else []


#: A line of a CRI container log file (``/var/log/pods/...``): time, stream, partial/full tag, then the text.
CRI_LOG_PREFIX = re.compile(r"^\S+Z std(?:out|err) [FP] ")


def log_text(line: str) -> str:
    """A log line without its CRI log file prefix (``2026-12-04T21:03:11.1Z stderr F E1204 ...`` -> ``E1204 ...``)."""
    return CRI_LOG_PREFIX.sub("", line, count=1)


def holds_error(text: Any) -> bool:
    """Whether a component's log (text or lines, CRI prefixes allowed) has a klog error, fatal or Cobra ``Error:`` line."""
    lines = text.splitlines() if isinstance(text, str) else [str(line) for line in text or []]
    return any(ERROR_LINE.search(log_text(line)) or FATAL_LINE.search(log_text(line)) for line in lines)
