#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: k8s_node_checks
short_description: Check every Node's InternalIPs and podCIDRs (one per family, primary first) in one read
version_added: 1.2.0
author:
  - Contributors to the dualstack.kubernetes collection (!UNKNOWN)
description:
  - Reads every Node with C(kubectl get --raw /api/v1/nodes), in pages of O(page_size), and checks each one as
    upstream's dual-stack e2e suite does (test/e2e/network/dual_stack.go) - one InternalIP per family of
    O(families), primary first, and, with O(pod_cidrs), one podCIDR per family with C(spec.podCIDR) the first. The
    checks are those of the P(dualstack.kubernetes.node_checks#filter) filter.
  - The list is read and checked on the host the module runs on, and only the rows and results come back, not the
    Node objects; C(get --raw) hands the API's answer through without kubectl decoding and printing it again
    (5,000 Nodes, 18 MB - 0.4 s against 4.5 s for C(kubectl get nodes -o json); benchmarks/scale.py).
  - Changes nothing.
options:
  families:
    description: The families every Node must have, primary first, such as C([IPv4, IPv6]).
    type: list
    elements: str
    required: true
  api_only:
    description: Nodes outside the inventory; only their primary family must come first (their own kubelets report their addresses).
    type: list
    elements: str
    default: []
  pod_cidrs:
    description: Check the podCIDRs too (false where the CNI ignores them, such as Calico's IPAM).
    type: bool
    default: true
  page_size:
    description: Nodes per API request (C(limit)); the next page is asked for with the API's C(continue) token.
    type: int
    default: 1000
extends_documentation_fragment:
  - dualstack.kubernetes.kubectl
attributes:
  check_mode:
    description: Reads and checks the same in check mode.
    support: full
  diff_mode:
    description: No diff is shown.
    support: none
"""

EXAMPLES = r"""
- name: Check the Nodes of a dual-stack cluster
  dualstack.kubernetes.k8s_node_checks:
    kubectl: kubectl --kubeconfig /etc/kubernetes/admin.conf
    families: [IPv4, IPv6]
  register: checked
"""

RETURN = r"""
rows:
  description: Per Node, its C(name), C(internal_ips) and C(pod_cidrs).
  type: list
  elements: dict
  returned: success
results:
  description: The checks, each with C(check), C(ok) and C(detail).
  type: list
  elements: dict
  returned: success
failed_checks:
  description: How many checks failed.
  type: int
  returned: success
"""

import json
import shlex
from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dualstack.kubernetes.plugins.module_utils.node_checks import node_checks


def read_nodes(module: AnsibleModule, argv: list, page_size: int) -> list:
    """Every Node, page after page (the API's limit and continue token)."""
    items: list = []
    token = ""
    while True:
        path = "/api/v1/nodes?limit=%d" % page_size + ("&continue=" + quote(token, safe="") if token else "")
        rc, out, err = module.run_command(argv + ["get", "--raw", path])
        if rc != 0:
            module.fail_json(msg="kubectl get --raw %s: %s" % (path, (err or out).strip()))
        try:
            page = json.loads(out)
        except ValueError as exc:
            module.fail_json(msg="kubectl get --raw %s did not answer JSON: %s" % (path, exc))
        items.extend(page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return items


def main() -> None:
    module = AnsibleModule(
        argument_spec={"kubectl": {"type": "str", "default": "kubectl"},
                       "families": {"type": "list", "elements": "str", "required": True},
                       "api_only": {"type": "list", "elements": "str", "default": []},
                       "pod_cidrs": {"type": "bool", "default": True},
                       "page_size": {"type": "int", "default": 1000}},
        supports_check_mode=True,
    )
    params = module.params
    if params["page_size"] < 1:
        module.fail_json(msg="page_size %d: it must be 1 or more (Nodes per API request)" % params["page_size"])
    items = read_nodes(module, shlex.split(params["kubectl"]), params["page_size"])
    rows, results = node_checks(items, params["families"], params["api_only"], params["pod_cidrs"])
    module.exit_json(changed=False, rows=rows, results=results, failed_checks=sum(1 for r in results if not r["ok"]))


if __name__ == "__main__":
    main()
