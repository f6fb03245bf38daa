# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The batch options of the conversion_plan and rollback_plan filters (module_utils/batches.py)."""

    DOCUMENTATION = r"""
options:
  nodes_batch:
    description:
      - Non-control-plane nodes converted (or taken back) at once, a count or a percentage (V(10%)) as Ansible's
        C(serial) takes it. The plan's C(nodes_batch) is the count.
    type: raw
    default: 1
  nodes_max_unavailable:
    description: A cap on O(nodes_batch) (count or percentage); a larger batch is refused.
    type: raw
  worker_count:
    description: The number of non-control-plane nodes percentages are taken of (default - all the nodes given).
    type: int
"""
