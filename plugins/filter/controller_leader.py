# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: controller_leader
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Which kube-controller-manager holds the leader Lease, and whether it has held it long enough
description:
  - Takes the C(kube-system/kube-controller-manager) Lease as C(kubectl get lease -o json) prints it.
  - Returns C(identity), C(host) (the identity's host part, C(<hostname>_<uuid>)), C(held) (seconds between its
    C(acquireTime) and C(renewTime)), C(duration) (C(leaseDurationSeconds)), C(alive) (renewed within the lease duration
    plus 15 s of O(now)), C(settled) (alive, held a full lease duration, and on one of O(hosts)) and C(message).
  - Only the holder runs controllers, so its flags are the ones that count; node IPAM checks C(--cluster-cidr) only
    when it starts there.
options:
  _input:
    description: The Lease.
    type: dict
    required: true
  hosts:
    description: The control-plane hosts (their names are the hosts' names in the identities).
    type: list
    elements: str
    required: true
  now:
    description: The time now, RFC 3339 with a zone (such as C(now(utc=true\).isoformat(\))).
    type: str
    required: true
  started:
    description:
      - Host to when its controller-manager process now running started (RFC 3339, as the component_probe module
        returns it). A Lease of that host acquired before then is the previous process's, so not settled.
    type: dict
"""

EXAMPLES = r"""
- name: Wait until a controller-manager has held the Lease for a full lease duration
  ansible.builtin.command: kubectl -n kube-system get lease kube-controller-manager -o json
  register: lease
  changed_when: false
  until: (lease.stdout | from_json | dualstack.kubernetes.controller_leader(groups['kube_control_plane'], now(utc=true).isoformat())).settled
  retries: 40
  delay: 3
"""

RETURN = r"""
_value:
  description: The leader's state (see the description).
  type: dict
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.leader import leader_state
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.controller_leader"""

    def filters(self):
        return {"controller_leader": as_filter("controller_leader", leader_state)}
