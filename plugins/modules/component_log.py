#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: component_log
short_description: The last lines of a control-plane component's log, the ones that say why it failed
version_added: 1.1.0
author:
  - Contributors to the dualstack.kubernetes collection (!UNKNOWN)
description:
  - Reads the end of a Kubernetes component's own log, to quote why it did not come back after a flag change.
  - For a systemd unit (O(unit=true)) its journal (C(journalctl -u)).
  - For a static Pod, the newest of its containers (C(crictl ps -a --name), C(crictl logs --tail)) or pod log files
    (C(/var/log/pods/kube-system_<component>-*/<component>/*.log)) whose lines hold a klog error or fatal line or
    Cobra's C(Error:) line. The kubelet may have just started a fresh container that has not failed yet, and its
    restarts make a failed one appear within seconds, so the containers are looked at O(tries) times,
    O(delay) seconds apart; without an error line anywhere, the newest log is returned.
  - With O(match), looks instead for lines that match a regular expression in the whole log of the component's
    newest container (or pod log file, rotated ones included; for a unit, its last 5000 journal lines), to tell whether
    it logged something, such as a controller that started. Reads once; no retries.
  - Reads only; never changes anything.
options:
  component:
    description: The component, such as C(kube-apiserver) (container, pod log directory and unit name).
    type: str
    required: true
  lines:
    description: How many lines to read from the end of each log.
    type: int
    default: 40
  unit:
    description: The component is a systemd unit (hand-installed clusters), not a static Pod.
    type: bool
    default: false
  tries:
    description: How many times to look at the containers for one whose log holds an error line.
    type: int
    default: 6
  delay:
    description: Seconds between two looks.
    type: int
    default: 3
  pod_log_dir:
    description: Where the kubelet keeps pod logs.
    type: path
    default: /var/log/pods
  match:
    description: A regular expression (Python C(re)); the lines of the newest log that match it are returned in RV(matched).
    type: str
attributes:
  check_mode:
    description: Reads the same in check mode.
    support: full
  diff_mode:
    description: No diff is shown.
    support: none
"""

EXAMPLES = r"""
- name: Read why kube-apiserver did not come back
  dualstack.kubernetes.component_log:
    component: kube-apiserver
  register: log
"""

RETURN = r"""
lines:
  description: The log lines read (the chosen log's last O(lines) lines).
  type: list
  elements: str
  returned: always
source:
  description: Where they come from (C(journal), C(container <id>), a pod log file, or C(none)).
  type: str
  returned: always
matched:
  description: With O(match), the newest log's lines that match it (the last 5), empty when none does.
  type: list
  elements: str
  returned: when O(match) is given
"""

import glob
import os
import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dualstack.kubernetes.plugins.module_utils.journal import holds_error


def tail(path: str, count: int) -> str:
    with open(path, "rb") as handle:
        return b"".join(handle.readlines()[-count:]).decode("utf-8", "replace")


def candidates(module: AnsibleModule, component: str, count: int, pod_log_dir: str):
    """(source, text) of the component's newest containers, then of its newest pod log files."""
    crictl = module.get_bin_path("crictl")
    if crictl:
        rc, out, _err = module.run_command([crictl, "ps", "-a", "--name", "^%s$" % component, "-q"])
        for cid in (out.split() if rc == 0 else [])[:4]:
            rc, logs, errs = module.run_command([crictl, "logs", "--tail", str(count), cid])
            if rc == 0:
                yield "container %s" % cid, logs + errs
    files = glob.glob(os.path.join(pod_log_dir, "kube-system_%s-*" % component, component, "*.log"))
    for path in sorted(files, key=os.path.getmtime, reverse=True)[:4]:
        yield path, tail(path, count)


def newest_log(module: AnsibleModule, component: str, pod_log_dir: str):
    """(source, whole text) of the component's newest container: crictl's, else its pod log file with the rotated
    parts before it (``<restart>.log.<time>``; compressed ones are skipped)."""
    crictl = module.get_bin_path("crictl")
    if crictl:
        rc, out, _err = module.run_command([crictl, "ps", "-a", "--name", "^%s$" % component, "-q"])
        for cid in (out.split() if rc == 0 else [])[:1]:
            rc, logs, errs = module.run_command([crictl, "logs", cid])
            if rc == 0:
                return "container %s" % cid, logs + errs
    files = glob.glob(os.path.join(pod_log_dir, "kube-system_%s-*" % component, component, "*.log"))
    if not files:
        return "none", ""
    newest = max(files, key=os.path.getmtime)
    parts = sorted(p for p in glob.glob(newest + ".*") if not p.endswith(".gz")) + [newest]
    text = ""
    for path in parts:
        with open(path, "rb") as handle:
            text += handle.read().decode("utf-8", "replace")
    return newest, text


def matching(text: str, pattern: str):
    """The lines of ``text`` that match ``pattern`` (the last 5)."""
    regex = re.compile(pattern)
    return [line for line in text.splitlines() if regex.search(line)][-5:]


def main() -> None:
    module = AnsibleModule(
        argument_spec={"component": {"type": "str", "required": True}, "lines": {"type": "int", "default": 40},
                       "unit": {"type": "bool", "default": False}, "tries": {"type": "int", "default": 6},
                       "delay": {"type": "int", "default": 3}, "pod_log_dir": {"type": "path", "default": "/var/log/pods"},
                       "match": {"type": "str"}},
        supports_check_mode=True,
    )
    component, count = module.params["component"], module.params["lines"]
    pattern = module.params["match"]
    if pattern and module.params["unit"]:
        journalctl = module.get_bin_path("journalctl", required=True)
        _rc, out, err = module.run_command([journalctl, "-u", component, "-n", "5000", "--no-pager", "-o", "cat"])
        module.exit_json(changed=False, lines=(out + err).splitlines()[-count:], source="journal",
                         matched=matching(out + err, pattern))
    if pattern:
        source, text = newest_log(module, component, module.params["pod_log_dir"])
        module.exit_json(changed=False, lines=text.splitlines()[-count:], source=source, matched=matching(text, pattern))
    if module.params["unit"]:
        journalctl = module.get_bin_path("journalctl", required=True)
        _rc, out, err = module.run_command([journalctl, "-u", component, "-n", str(count), "--no-pager", "-o", "cat"])
        module.exit_json(changed=False, lines=(out + err).splitlines(), source="journal")
    newest = None
    for attempt in range(max(1, module.params["tries"])):
        for source, text in candidates(module, component, count, module.params["pod_log_dir"]):
            newest = newest or (source, text)
            if holds_error(text):
                module.exit_json(changed=False, lines=text.splitlines()[-count:], source=source)
        if attempt + 1 < module.params["tries"]:
            time.sleep(module.params["delay"])
    source, text = newest or ("none", "")
    module.exit_json(changed=False, lines=text.splitlines()[-count:], source=source)


if __name__ == "__main__":
    main()
