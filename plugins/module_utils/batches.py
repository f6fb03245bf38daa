# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""How many non-control-plane nodes are converted at once (``dualstack_nodes_batch``), and its cap.

The batch is given the way Ansible's ``serial`` (and kubespray's upgrade ``serial``) takes it: a count of
nodes, or a percentage of the play's nodes rounded down and at least one
(``ansible.utils.helpers.pct_to_int``), because the playbooks hand it to ``serial`` as it is.
``dualstack_nodes_max_unavailable`` (same forms) caps it: a batch larger than the cap is refused in
preflight, before anything changes, rather than shrunk behind the operator's back. Control planes are
always converted one at a time and are not counted.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

_SIZE_RE = re.compile(r"^\s*(\d+)\s*(%?)\s*$")


def parse_size(value: Any, name: str) -> Tuple[int, bool]:
    """``(number, is_percentage)`` of a count such as ``5`` or a percentage such as ``'10%'``."""
    match = _SIZE_RE.match(str(value)) if not isinstance(value, bool) else None
    number = int(match.group(1)) if match else 0
    percent = bool(match and match.group(2))
    if not match or number < 1 or (percent and number > 100):
        raise DualStackError(
            "%s %r: expected a number of nodes (1 or more, e.g. 5) or a percentage of the non-control-plane nodes "
            "from 1%% to 100%% (e.g. '10%%'), the forms of Ansible's serial" % (name, value)
        )
    return number, percent


def size_of(value: Any, total: int, name: str) -> int:
    """Nodes ``value`` stands for out of ``total`` (a percentage rounds down, at least one), as Ansible's serial."""
    number, percent = parse_size(value, name)
    return (int(number / 100.0 * total) or 1) if percent else number


def nodes_batch(batch: Any, max_unavailable: Any, workers: int) -> int:
    """The number of non-control-plane nodes converted at once; refused when above ``max_unavailable``."""
    batch_nodes = size_of(1 if batch in (None, "") else batch, workers, "dualstack_nodes_batch")
    if max_unavailable in (None, ""):
        return batch_nodes
    cap = size_of(max_unavailable, workers, "dualstack_nodes_max_unavailable")
    if min(batch_nodes, workers or 1) > cap:
        raise DualStackError(
            "dualstack_nodes_batch %s takes %d of the %d non-control-plane nodes out at a time, more than "
            "dualstack_nodes_max_unavailable %s (%d): lower dualstack_nodes_batch to %d or less, or raise "
            "dualstack_nodes_max_unavailable" % (batch, min(batch_nodes, workers), workers, max_unavailable, cap, cap)
        )
    return batch_nodes


def batch_summary(batch: Optional[int]) -> str:
    """The plan's line about batches."""
    if not batch or batch == 1:
        return "kubelets and Nodes of non-control-plane nodes: one node at a time (dualstack_nodes_batch 1)"
    return ("kubelets and Nodes of non-control-plane nodes: %d nodes at a time (dualstack_nodes_batch); control planes "
            "one at a time" % batch)
