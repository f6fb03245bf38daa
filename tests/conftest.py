"""Make this checkout importable as ``ansible_collections.dualstack.kubernetes``.

The repository root is the collection root. Plugins import each other through the
collection's FQCN, so the tests expose the checkout under an ``ansible_collections``
tree (a symlink inside the git-ignored ``tests/output``) and put that tree on
``sys.path``. ansible-test does the same thing with a copy of the collection.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _collection_root() -> Path:
    if REPO.parent.name == "dualstack" and REPO.parent.parent.name == "ansible_collections":
        return REPO.parent.parent.parent
    base = REPO / "tests" / "output" / ".collections"
    link = base / "ansible_collections" / "dualstack" / "kubernetes"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        os.symlink(REPO, link)
    return base


sys.path.insert(0, str(_collection_root()))
