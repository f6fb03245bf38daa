# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection

from __future__ import annotations

DOCUMENTATION = r"""
name: agnhost_image
author: Contributors to the dualstack.kubernetes collection
version_added: 1.1.0
short_description: Upstream's e2e agnhost image for a Kubernetes release
description:
  - Returns C(<repository>:<tag>), the tag being the one the release's e2e suite uses
    (C(configs[Agnhost]) of C(test/utils/image/manifest.go)), e.g. C(registry.k8s.io/e2e-test-images/agnhost:2.56) for 1.34.
  - Known minors are 1.29 to 1.35; older ones get the oldest tag known, newer ones the newest.
options:
  _input:
    description: The Kubernetes version (C(1.34), C(v1.34.2), ...).
    type: str
    required: true
  repository:
    description: The image name without tag (a mirror of C(registry.k8s.io/e2e-test-images/agnhost)).
    type: str
    default: registry.k8s.io/e2e-test-images/agnhost
"""

EXAMPLES = r"""
- name: The image of the cluster's e2e suite
  ansible.builtin.debug:
    msg: "{{ 'v1.34.12' | dualstack.kubernetes.agnhost_image }}"
  # => registry.k8s.io/e2e-test-images/agnhost:2.56

- name: From a mirror
  ansible.builtin.debug:
    msg: "{{ '1.35' | dualstack.kubernetes.agnhost_image(repository='mirror.example/e2e/agnhost') }}"
"""

RETURN = r"""
_value:
  description: An image reference.
  type: str
"""

from ansible_collections.dualstack.kubernetes.plugins.module_utils.agnhost import agnhost_image
from ansible_collections.dualstack.kubernetes.plugins.plugin_utils.filter_wrapper import as_filter


class FilterModule:
    """dualstack.kubernetes.agnhost_image"""

    def filters(self):
        return {"agnhost_image": as_filter("agnhost_image", agnhost_image)}
