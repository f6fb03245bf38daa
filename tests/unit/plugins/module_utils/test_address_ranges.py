"""ips_outside_ranges: clusterIPs against the Service ranges."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.address_ranges import ips_outside_ranges
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

RANGES = ["10.96.0.0/16", "fd00:10:96::/112"]


def test_inside_and_outside():
    assert ips_outside_ranges(["10.96.0.10", "fd00:10:96::a"], RANGES) == []
    assert ips_outside_ranges(["10.97.0.1", "fd00:10:96::1:0", "10.96.3.3"], RANGES) == ["10.97.0.1", "fd00:10:96::1:0"]
    assert ips_outside_ranges(["10.96.0.10", "FD00:10:96::A"], "10.96.0.0/16, fd00:10:96::/112") == []


def test_not_an_address_is_outside():
    assert ips_outside_ranges(["None", None, "x"], RANGES) == ["None", "None", "x"]
    assert ips_outside_ranges("10.96.0.1", RANGES) == []
    assert ips_outside_ranges([], RANGES) == []


def test_bad_range():
    with pytest.raises(DualStackError, match="ranges"):
        ips_outside_ranges(["10.0.0.1"], ["10.96.0.0/33"])
