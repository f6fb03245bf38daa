# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which process is a control-plane component running with a wanted flag, and where its health endpoint is.

After a flag change the kubelet (static Pod) or systemd (unit) starts a new process; the edit took
only when a process of that component carries the new flag as one argument and answers its health
endpoint: kube-apiserver ``/readyz`` on its ``--advertise-address`` and ``--secure-port`` (6443),
kube-controller-manager (and kube-scheduler) ``/healthz`` on ``--bind-address`` and ``--secure-port``
(10257). A process that is not there, or not healthy, is reported with what was seen.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Mapping, Optional, Sequence, Tuple

#: The secure port each component listens on when ``--secure-port`` is not given.
DEFAULT_PORTS = {"kube-apiserver": 6443, "kube-controller-manager": 10257, "kube-scheduler": 10259}


def find_component_pid(processes: Mapping[int, Sequence[str]], component: str, want: str) -> Optional[int]:
    """The PID of a process whose program is ``component`` and whose arguments include ``want`` as one word."""
    for pid, argv in sorted(processes.items()):
        if argv and os.path.basename(argv[0]) == component and want in argv[1:]:
            return pid
    return None


def process_start(stat: str, boot_time: float, ticks_per_second: int) -> float:
    """When a process started (seconds since the epoch), from its ``/proc/PID/stat`` line (field 22, ``starttime``,
    clock ticks after boot; proc(5)) and ``btime`` of ``/proc/stat``. Field 2, the command, may hold spaces and
    parentheses: the fields are counted after its last ``)``."""
    fields = stat[stat.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): starttime, field 22, is fields[19].
    return boot_time + int(fields[19]) / float(ticks_per_second)


def flag_value(argv: Sequence[str], name: str) -> Optional[str]:
    """The last ``--name=value`` of ``argv``, or None."""
    prefix = "--%s=" % name
    values = [word[len(prefix):] for word in argv if word.startswith(prefix)]
    return values[-1] if values else None


def _host(address: Optional[str], any_means: str) -> str:
    if address in (None, "", "0.0.0.0"):
        return any_means
    if address == "::":
        return "[::1]"
    try:
        return "[%s]" % address if ipaddress.ip_address(address).version == 6 else str(address)
    except ValueError:
        return str(address)


def health_endpoint(component: str, argv: Sequence[str]) -> Tuple[str, str]:
    """``(server, path)`` to ask: kube-apiserver ``/readyz`` at its advertised address, the others ``/healthz``."""
    port = flag_value(argv, "secure-port") or str(DEFAULT_PORTS.get(component, 10257))
    if component == "kube-apiserver":
        return "https://%s:%s" % (_host(flag_value(argv, "advertise-address"), "127.0.0.1"), port), "/readyz"
    return "https://%s:%s" % (_host(flag_value(argv, "bind-address"), "127.0.0.1"), port), "/healthz"
