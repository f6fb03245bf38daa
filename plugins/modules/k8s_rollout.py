#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k8s_rollout
short_description: Wait until a DaemonSet or Deployment has rolled out, through kubectl
version_added: 1.1.0
author:
  - Contributors to the dualstack.kubernetes collection (!UNKNOWN)
description:
  - Reads the object with C(kubectl get) every O(delay) seconds until its rollout is complete under the conditions
    C(kubectl rollout status) uses (the spec observed, every pod or replica updated and available, no old replica
    left).
  - The wait grows with the object. It fails when the rollout makes no progress (no pod newly updated, no updated
    pod newly available) for O(stall_timeout) seconds, with the last state seen, however long the whole rollout
    takes; O(timeout) caps the total only when set.
  - A DaemonSet whose updateStrategy is not RollingUpdate is refused at once (its pods never restart on a template
    change), as is a Deployment past its progress deadline.
  - Changes nothing.
options:
  kind:
    description: The kind of the object.
    type: str
    choices: [DaemonSet, Deployment]
    required: true
  name:
    description: Its name.
    type: str
    required: true
  namespace:
    description: Its namespace.
    type: str
    required: true
  stall_timeout:
    description:
      - Seconds the rollout may go without progress (a pod newly updated, or an updated pod newly available) before
        the wait fails. Covers one batch of pods (the object's maxUnavailable) starting, not the whole rollout.
    type: int
    default: 300
  timeout:
    description: Seconds the whole wait may take; V(0) sets no total (the stall timeout alone ends it).
    type: int
    default: 0
  delay:
    description: Seconds between two reads.
    type: int
    default: 2
  fail_on_timeout:
    description: Fail when the rollout is not complete in time; V(false) returns RV(complete=false) instead (a check that reports).
    type: bool
    default: true
extends_documentation_fragment:
  - dualstack.kubernetes.kubectl
attributes:
  check_mode:
    description: Waits the same in check mode (nothing is written either way); a role skips it when nothing was written.
    support: full
  diff_mode:
    description: No diff.
    support: none
"""

EXAMPLES = r"""
- name: Wait for kube-proxy's rollout
  dualstack.kubernetes.k8s_rollout:
    kubectl: kubectl --kubeconfig /etc/kubernetes/admin.conf
    kind: DaemonSet
    name: kube-proxy
    namespace: kube-system
    stall_timeout: 180
"""

RETURN = r"""
complete:
  description: Whether the rollout completed in time.
  type: bool
  returned: success
message:
  description: The last state, such as C(DaemonSet kube-system/kube-proxy rolled out).
  type: str
  returned: always
stalled:
  description: Whether the wait ended because the rollout made no progress for O(stall_timeout) seconds.
  type: bool
  returned: when the rollout did not complete
seconds:
  description: How long the wait took.
  type: float
  returned: always
"""

import shlex
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dualstack.kubernetes.plugins.module_utils.k8s_objects import rollout_state
from ansible_collections.dualstack.kubernetes.plugins.module_utils.kubectl_read import json_object
from ansible_collections.dualstack.kubernetes.plugins.module_utils.rollout_progress import ProgressWatch


def main() -> None:
    module = AnsibleModule(
        argument_spec={"kubectl": {"type": "str", "default": "kubectl"},
                       "kind": {"type": "str", "choices": ["DaemonSet", "Deployment"], "required": True},
                       "name": {"type": "str", "required": True}, "namespace": {"type": "str", "required": True},
                       "stall_timeout": {"type": "int", "default": 300}, "timeout": {"type": "int", "default": 0},
                       "delay": {"type": "int", "default": 2}, "fail_on_timeout": {"type": "bool", "default": True}},
        supports_check_mode=True,
    )
    params = module.params
    argv = shlex.split(params["kubectl"]) + ["-n", params["namespace"], "get", params["kind"].lower(), params["name"], "-o", "json"]
    start = time.monotonic()
    watch = ProgressWatch(params["stall_timeout"], start)
    message = "not read yet"
    while True:
        rc, out, err = module.run_command(argv)
        now = time.monotonic()
        obj = json_object(out) if rc == 0 else None
        if rc != 0:
            message = err.strip() or out.strip()
        elif obj is None:
            # A busy apiserver's answer can come back cut (rc 0, no JSON): a failed read, not a verdict.
            message = "kubectl printed no JSON object: %r" % (out.strip()[:200] or err.strip()[:200])
        if obj is not None:
            try:
                done, message = rollout_state(obj)
            except ValueError as exc:
                module.fail_json(msg=str(exc), seconds=round(now - start, 1))
            watch.observe(obj, now)
            if done:
                module.exit_json(changed=False, complete=True, message=message, seconds=round(now - start, 1))
        stalled = watch.stalled(now)
        if stalled or 0 < params["timeout"] <= now - start:
            what = "%s %s/%s" % (params["kind"], params["namespace"], params["name"])
            if stalled:
                msg = "%s made no progress for %d s (%d s in all): %s" % (what, watch.idle_seconds(now), now - start, message)
            else:
                msg = "%s did not roll out within %d s: %s" % (what, params["timeout"], message)
            result = {"msg": msg, "complete": False, "stalled": stalled, "message": message, "seconds": round(now - start, 1)}
            if params["fail_on_timeout"]:
                module.fail_json(**result)
            module.exit_json(changed=False, **result)
        time.sleep(params["delay"])


if __name__ == "__main__":
    main()
