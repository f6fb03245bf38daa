# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Whether a ``kubectl get -o json`` read can be judged at all.

A busy apiserver's answer can reach kubectl cut, and kubectl then exits 0 having printed nothing or part of
the object (seen on the single-CPU control plane of the lab's User-Mode Linux nodes, 2026-12-06: a kubelet
wait of the way back failed on ``from_json``'s "Expecting value: line 1 column 1 (char 0)" and restored a
kubelet that was coming up fine). A poll counts such a read as "not yet" and reads again.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional


def json_object(text: Any) -> Optional[Dict[str, Any]]:
    """The JSON object ``text`` holds (what ``kubectl get ... -o json`` prints), or None when it is empty, cut or
    anything else."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def complete_json(text: Any) -> bool:
    """Tell whether ``text`` is one whole JSON object: a read a poll can judge."""
    return json_object(text) is not None
