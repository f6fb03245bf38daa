"""Every lab unit test sees an empty run dir and no control-plane count of its own (never a running lab's)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _no_running_lab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_RUN", str(tmp_path / "run"))
    monkeypatch.delenv("DUALSTACK_LAB_CONTROL_PLANES", raising=False)
    monkeypatch.delenv("DUALSTACK_LAB_KERNEL", raising=False)
