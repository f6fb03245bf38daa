# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: dualstack_cidrs
author: Contributors to the dualstack.kubernetes collection
version_added: 1.0.0
short_description: Validate and normalise the pod or Service ranges of a (dual-stack) cluster
description:
  - Takes one range, or an IPv4 and an IPv6 range, and returns them as a list of canonical CIDR
    strings in the order given (the first is the cluster's primary family; never reorder an existing cluster).
  - Canonical means the network in compressed lower-case form (C(FD00:10:244:0::/56) becomes C(fd00:10:244::/56)).
  - >-
    Fails, naming the value, the rule and the fix, when the input is empty, is not a CIDR, has host bits set
    (the message gives the network address meant), has more than two entries, or has two entries of one family
    (upstream key words C(must not contain more than two entries), C(must be of different IP family),
    C(expected one (IPv4 or IPv6\) CIDR or two CIDRs from each family for dual-stack networking)).
  - >-
    With O(kind=service), also fails when a range holds more than 2^20 addresses (IPv4 mask shorter than /12,
    IPv6 shorter than /108: C(specified --service-cluster-ip-range is too large)) unless O(kube_version) is
    1.34 or newer (MultiCIDRServiceAllocator on by default), and when a range has fewer than 10 addresses
    (C(subnet with N address(es) is too small, the minimum is 10): the DNS Service takes the tenth).
options:
  _input:
    description: One CIDR, a comma-separated string of CIDRs (spaces around commas allowed), or a list.
    type: raw
    required: true
  kind:
    description: Which ranges these are; V(service) adds the kube-apiserver size rules.
    type: str
    choices: [pod, service]
    default: pod
  kube_version:
    description:
      - The cluster's Kubernetes version (C(1.33), C(v1.33.2), C(v1.34.0-rc.1)).
      - Only used with O(kind=service). When omitted the pre-1.34 size limit is applied.
    type: str
"""

EXAMPLES = r"""
- name: Pod ranges for --cluster-cidr, normalised
  ansible.builtin.debug:
    msg: "{{ '10.244.0.0/16, FD00:10:244:0::/56' | dualstack.kubernetes.dualstack_cidrs | join(',') }}"
  # => 10.244.0.0/16,fd00:10:244::/56

- name: Service ranges for --service-cluster-ip-range, checked for this version
  ansible.builtin.set_fact:
    service_ranges: "{{ ['10.96.0.0/16', 'fd00:10:96::/112']
                        | dualstack.kubernetes.dualstack_cidrs(kind='service', kube_version='v1.33.4') }}"
"""

RETURN = r"""
_value:
  description: One or two canonical CIDR strings, order kept.
  type: list
  elements: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import dualstack_cidrs
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.dualstack_cidrs"""

    def filters(self):
        return {"dualstack_cidrs": as_filter("dualstack_cidrs", dualstack_cidrs)}
