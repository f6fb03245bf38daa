# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: cluster_domain
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: The cluster domain, from a pod's resolv.conf
description:
  - Returns the domain of the C(search) entry C(<namespace>.svc.<domain>), e.g. C(cluster.local).
  - Fails when the pod's resolv.conf has no such entry (not using the cluster DNS).
options:
  _input:
    description: The pod's C(/etc/resolv.conf).
    type: str
    required: true
  namespace:
    description: The pod's namespace.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Domain
  ansible.builtin.debug:
    msg: "{{ resolv.stdout | dualstack.kubernetes.cluster_domain('dualstack-verify') }}"
"""

RETURN = r"""
_value:
  description: The cluster domain.
  type: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.dns_records import cluster_domain
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.cluster_domain"""

    def filters(self):
        return {"cluster_domain": as_filter("cluster_domain", cluster_domain)}
