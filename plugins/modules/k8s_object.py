#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k8s_object
short_description: Write one Kubernetes object only when it differs, through kubectl
version_added: 1.1.0
author:
  - Contributors to the dualstack.kubernetes collection (!UNKNOWN)
description:
  - Reads the object named by O(definition) (or O(ref)) with C(kubectl get -f -), computes what it should hold
    (O(definition), then O(merge_patch) applied as C(kubectl patch --type merge) would), and writes it only when
    that differs from what the cluster holds, ignoring what the API server sets (status, resourceVersion, uid,
    generation, creationTimestamp, managedFields).
  - An existing object is written with C(kubectl replace -f -). When O(definition) carries the
    C(metadata.resourceVersion) it was read with, a concurrent change makes the write fail instead of being lost.
  - A missing object is created from O(definition) (C(kubectl create -f -)), or the module fails when
    O(missing=fail) or only O(merge_patch) is given.
  - Uses kubectl on the host it runs on (no Python library needed there); the objects' text never reaches the log
    unless the task shows it (use C(no_log) for objects that can hold credentials).
options:
  definition:
    description: The whole object as it should be (as read and edited); names the object.
    type: dict
  ref:
    description: Names the object (C(apiVersion), C(kind), C(metadata.name), C(metadata.namespace)) when only O(merge_patch) is given.
    type: dict
  merge_patch:
    description: An RFC 7386 merge patch applied to O(definition), or to the object as read (C(null) deletes a key).
    type: dict
  missing:
    description: What to do when the object does not exist.
    type: str
    choices: [create, fail]
    default: create
extends_documentation_fragment:
  - dualstack.kubernetes.kubectl
attributes:
  check_mode:
    description: Reads, compares and reports what would be written; writes nothing.
    support: full
  diff_mode:
    description: Shows the object before and after (without the fields the API server sets).
    support: full
"""

EXAMPLES = r"""
- name: Write flannel's ConfigMap when it changes
  dualstack.kubernetes.k8s_object:
    kubectl: kubectl --kubeconfig /etc/kubernetes/admin.conf
    definition: "{{ new_configmap }}"
  no_log: true

- name: Restart kube-proxy's pods by changing an annotation of its pod template
  dualstack.kubernetes.k8s_object:
    ref: {apiVersion: apps/v1, kind: DaemonSet, metadata: {name: kube-proxy, namespace: kube-system}}
    merge_patch:
      spec: {template: {metadata: {annotations: {example.com/cluster-cidr: "10.244.0.0/16,fd00:10:244::/56"}}}}
"""

RETURN = r"""
object:
  description: The object as written (or as it would be written in check mode, or as read when unchanged).
  type: dict
  returned: success
operation:
  description: C(none), C(replace) or C(create).
  type: str
  returned: success
"""

import json
import shlex

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dualstack.kubernetes.plugins.module_utils.k8s_objects import comparable, describe, differs, merge_patch, object_ref, single_object


def kubectl(module: AnsibleModule, args, stdin=None) -> str:
    argv = shlex.split(module.params["kubectl"]) + list(args)
    rc, out, err = module.run_command(argv, data=stdin, binary_data=True)
    if rc != 0:
        module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(args[:2]), rc, err.strip() or out.strip()))
    return out


def main() -> None:
    module = AnsibleModule(
        argument_spec={"kubectl": {"type": "str", "default": "kubectl"}, "definition": {"type": "dict"},
                       "ref": {"type": "dict"}, "merge_patch": {"type": "dict"},
                       "missing": {"type": "str", "choices": ["create", "fail"], "default": "create"}},
        required_one_of=[("definition", "ref")],
        required_by={"ref": ("merge_patch",)},
        supports_check_mode=True,
    )
    definition, patch = module.params["definition"], module.params["merge_patch"]
    try:
        ref = object_ref(definition if definition is not None else module.params["ref"])
    except ValueError as err:
        module.fail_json(msg=str(err))
    out = kubectl(module, ["get", "-f", "-", "-o", "json", "--ignore-not-found"], json.dumps(ref))
    try:
        current = single_object(json.loads(out)) if out.strip() else None
    except ValueError as err:
        module.fail_json(msg="%s: %s" % (describe(ref), err))
    if current is None and (definition is None or module.params["missing"] == "fail"):
        module.fail_json(msg="%s does not exist" % describe(ref))
    desired = definition if definition is not None else current
    if patch:
        desired = merge_patch(desired, patch)
    if current is not None and not differs(current, desired):
        module.exit_json(changed=False, operation="none", object=current)
    operation = "create" if current is None else "replace"
    diff = {"before": comparable(current), "after": comparable(desired),
            "before_header": describe(ref), "after_header": describe(ref)}
    if module.check_mode:
        module.exit_json(changed=True, operation=operation, object=desired, diff=diff)
    written = kubectl(module, [operation, "-f", "-", "-o", "json"], json.dumps(desired))
    module.exit_json(changed=True, operation=operation, object=json.loads(written), diff=diff)


if __name__ == "__main__":
    main()
