#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: bridge_addresses
short_description: Remove a CNI bridge's addresses that lie outside the node's podCIDRs
version_added: 1.1.0
author:
  - Contributors to the dualstack.kubernetes collection (!UNKNOWN)
description:
  - After a Node is registered again it has new podCIDRs, its IPv4 one included. The bridge CNI plugin (used
    directly or through flannel's plugin) refuses to add a pod while the bridge holds the gateway of another
    range of that family ("already has an IP address different from"). This module removes, with
    C(ip addr del), every global address of O(bridge) outside the O(keep) networks of its family.
  - A missing bridge is not an error (nothing to remove). Runs C(ip) on the node; no Python library needed.
options:
  bridge:
    description: The bridge, such as C(cni0).
    type: str
    required: true
  keep:
    description: The Node's podCIDRs; addresses inside them stay.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    description: Reports the addresses that would be removed, removes nothing.
    support: full
  diff_mode:
    description: No diff is shown.
    support: none
"""

EXAMPLES = r"""
- name: Remove the old gateway from cni0
  dualstack.kubernetes.bridge_addresses:
    bridge: cni0
    keep: [10.244.5.0/24, "fd00:10:244:5::/64"]
"""

RETURN = r"""
removed:
  description: The addresses removed (or, in check mode, that would be).
  type: list
  elements: str
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dualstack.kubernetes.plugins.module_utils.bridge_addresses import stale_bridge_addresses
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


def main() -> None:
    module = AnsibleModule(
        argument_spec={"bridge": {"type": "str", "required": True},
                       "keep": {"type": "list", "elements": "str", "required": True}},
        supports_check_mode=True,
    )
    ip = module.get_bin_path("ip", required=True)
    bridge = module.params["bridge"]
    rc, out, _err = module.run_command([ip, "-j", "addr", "show", "dev", bridge])
    if rc != 0:
        module.exit_json(changed=False, removed=[], msg="no link %s" % bridge)
    try:
        stale = stale_bridge_addresses(out, module.params["keep"])
    except DualStackError as err:
        module.fail_json(msg=str(err))
    if not module.check_mode:
        for address in stale:
            module.run_command([ip, "addr", "del", address, "dev", bridge], check_rc=True)
    module.exit_json(changed=bool(stale), removed=stale)


if __name__ == "__main__":
    main()
