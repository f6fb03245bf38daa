#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: component_probe
short_description: Wait until a control-plane component runs with a wanted flag and answers its health endpoint
version_added: 1.1.0
author:
  - Contributors to the dualstack.kubernetes collection (!UNKNOWN)
description:
  - Polls, every O(interval) seconds up to O(timeout) seconds, for a process of O(component) (its program's base
    name) whose arguments include O(want) as one word, and asks its health endpoint - kube-apiserver C(/readyz) at
    its C(--advertise-address) and C(--secure-port) with O(kubectl) (C(get --raw)), the others C(/healthz) at their
    C(--bind-address) and C(--secure-port) over HTTPS (the serving certificate is not verified; only the answer
    counts).
  - Returns the PID of the healthy process, so that a second probe after a settle time can tell whether the same
    process is still up (a crash loop would have restarted it). Never fails; O(timeout=0) probes once.
  - Reads only.
options:
  component:
    description: The component, such as C(kube-apiserver) or C(kube-controller-manager).
    type: str
    required: true
  want:
    description: The argument the process must carry, such as C(--service-cluster-ip-range=10.96.0.0/16,fd00::/112).
    type: str
    required: true
  timeout:
    description: Seconds to keep polling.
    type: int
    default: 180
  interval:
    description: Seconds between two polls.
    type: int
    default: 2
  kubectl:
    description: The kubectl command line (with its kubeconfig) that asks kube-apiserver's C(/readyz).
    type: str
    default: kubectl --kubeconfig /etc/kubernetes/admin.conf
attributes:
  check_mode:
    description: Probes the same in check mode.
    support: full
  diff_mode:
    description: No diff is shown.
    support: none
"""

EXAMPLES = r"""
- name: Wait for kube-apiserver with its new Service ranges
  dualstack.kubernetes.component_probe:
    component: kube-apiserver
    want: --service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112
  register: probe
"""

RETURN = r"""
healthy:
  description: A process with O(want) answered its health endpoint.
  type: bool
  returned: always
pid:
  description: That process's PID (null when none was healthy).
  type: int
  returned: always
started:
  description:
    - When that process started, RFC 3339 UTC on the host's clock (null when none was healthy). A leader Lease
      acquired before it was acquired by an earlier process.
  type: str
  returned: always
msg:
  description: What was seen last (the process missing, or its health answer).
  type: str
  returned: always
"""

import datetime
import os
import shlex
import time
from typing import Optional

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.dualstack.kubernetes.plugins.module_utils.component_probe import (
    find_component_pid,
    health_endpoint,
    process_start,
)


def processes() -> dict:
    """PID -> argv of every process readable in /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                words = handle.read().split(b"\0")
        except OSError:
            continue
        found[int(entry)] = [w.decode("utf-8", "replace") for w in words if w]
    return found


def started(pid: int) -> Optional[str]:
    """The process's start, RFC 3339 UTC, or None when /proc does not tell."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            stat = handle.read()
        with open("/proc/stat") as handle:
            btime = [int(line.split()[1]) for line in handle if line.startswith("btime ")][0]
        when = process_start(stat, btime, os.sysconf("SC_CLK_TCK"))
    except (OSError, IndexError, ValueError):
        return None
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ask(module: AnsibleModule, component: str, argv: list) -> tuple:
    """(healthy, answer) of the process's health endpoint."""
    server, path = health_endpoint(component, argv)
    if component == "kube-apiserver":
        rc, out, err = module.run_command(shlex.split(module.params["kubectl"])
                                          + ["--server", server, "--request-timeout=5s", "get", "--raw", path])
        return rc == 0, (out + err).strip()
    try:
        # Only the answer counts (as curl -k): the serving certificate is the component's own.
        answer = open_url(server + path, timeout=5, validate_certs=False)
        return answer.status == 200, answer.read(200).decode("utf-8", "replace").strip()
    except Exception as err:  # pylint: disable=broad-except  # urllib's errors, ssl's and the socket's alike
        return False, str(err)


def main() -> None:
    module = AnsibleModule(
        argument_spec={"component": {"type": "str", "required": True}, "want": {"type": "str", "required": True},
                       "timeout": {"type": "int", "default": 180}, "interval": {"type": "int", "default": 2},
                       "kubectl": {"type": "str", "default": "kubectl --kubeconfig /etc/kubernetes/admin.conf"}},
        supports_check_mode=True,
    )
    component, want = module.params["component"], module.params["want"]
    deadline = time.monotonic() + max(0, module.params["timeout"])
    last = "no %s process with %s" % (component, want)
    while True:
        table = processes()
        pid = find_component_pid(table, component, want)
        if pid is not None:
            healthy, answer = ask(module, component, table[pid])
            if healthy:
                module.exit_json(changed=False, healthy=True, pid=pid, started=started(pid), msg=answer)
            last = "%s (pid %d) not healthy: %s" % (component, pid, " ".join(answer.splitlines()[-3:]))
        if time.monotonic() >= deadline:
            module.exit_json(changed=False, healthy=False, pid=None, started=None, msg=last)
        time.sleep(max(1, module.params["interval"]))


if __name__ == "__main__":
    main()
