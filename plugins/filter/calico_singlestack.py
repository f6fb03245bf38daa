# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: calico_singlestack
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Turn IPv6 off in a Calico installed from its manifest (the way back)
description:
  - Takes Calico objects as C(kubectl get -o json) prints them (parsed with C(from_json)) - one object, a list, or a
    C(*List) - and returns them with IPv6 off (a list for a list). The reverse of
    P(dualstack.kubernetes.calico_dualstack#filter).
  - ConfigMap C(calico-config) - the calico plugin's C(ipam) gets C(assign_ipv6) V("false") (calico-ipam), or keeps
    only the C(usePodCidr) range (host-local).
  - DaemonSet C(calico-node) - C(FELIX_IPV6SUPPORT=false) (Felix's own default is true), and C(IP6=none) where C(IP6)
    is set. The C(CALICO_IPV6POOL_*) variables stay; calico-node reads them only to create a default IPv6 pool, which
    it does only with IPv6 on.
  - IPPool - an IPv6 pool gets C(disabled) V(true), Calico's way to stop handing out its addresses; it is not deleted,
    because pods created before still hold addresses from it (delete it once they have been recreated). IPv4 pools are
    returned unchanged.
  - Objects that already have IPv6 off are returned unchanged, so the result can be applied only when it differs.
options:
  _input:
    description: The calico-config ConfigMap, the calico-node DaemonSet, IPPools, or a list of them.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Calico objects with IPv6 off
  ansible.builtin.set_fact:
    calico_new: "{{ [calico_config, calico_node] + ippools | dualstack.kubernetes.calico_singlestack }}"
"""

RETURN = r"""
_value:
  description: The transformed object (a list of them for a list input); equal to the input when IPv6 was already off.
  type: raw
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.calico import calico_singlestack
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.calico_singlestack"""

    def filters(self):
        return {"calico_singlestack": as_filter("calico_singlestack", calico_singlestack)}
