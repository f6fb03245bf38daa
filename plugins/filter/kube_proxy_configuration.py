# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: kube_proxy_configuration
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: kube-proxy's KubeProxyConfiguration text with the plan's clusterCIDR and the release's feature gates
description:
  - >-
    Returns the text with C(clusterCIDR) set and C(featureGates) as the release wants C(IPv6DualStack). Only the
    C(clusterCIDR) line is replaced when that is all that changes (the rest of the text stays byte for byte);
    otherwise the document is written out whole.
options:
  _input:
    description: The KubeProxyConfiguration (the ConfigMap's C(config.conf), or the C(--config) file).
    type: str
    required: true
  cluster_cidr:
    description: The pod ranges, comma-separated, primary first.
    type: str
    required: true
  kube_version:
    description: The cluster's release.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The new configuration
  ansible.builtin.set_fact:
    text: "{{ old | dualstack.kubernetes.kube_proxy_configuration('10.244.0.0/16,fd00:10:244::/56', '1.34') }}"
"""

RETURN = r"""
_value:
  description: The KubeProxyConfiguration text.
  type: str
"""

from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.kube_proxy_config import kube_proxy_configuration


class FilterModule:
    """dualstack.kubernetes.kube_proxy_configuration"""

    def filters(self):
        return {"kube_proxy_configuration": as_filter("kube_proxy_configuration", kube_proxy_configuration)}
