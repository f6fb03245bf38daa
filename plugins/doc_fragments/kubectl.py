# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The kubectl option of the modules that talk to the API through kubectl on the host they run on."""

    DOCUMENTATION = r"""
options:
  kubectl:
    description: The kubectl command line, such as C(kubectl --kubeconfig /etc/kubernetes/admin.conf).
    type: str
    default: kubectl
notes:
  - Uses kubectl on the host it runs on (no Python library needed there).
"""
