"""Benchmark: CIDR parsing and the collection's rules, stdlib ipaddress vs netaddr.

Prints medians of repeated timings (this machine is shared and noisy) and their ratio.
netaddr is optional: `pip install netaddr` to include it. Run:
    PYTHONPATH=tests/output/.collections .venv/bin/python benchmarks/cidr_parsing.py
"""

from __future__ import annotations

import ipaddress
import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import conftest  # noqa: E402,F401  pylint: disable=unused-import,wrong-import-position

from ansible_collections.dualstack.kubernetes.plugins.module_utils import cidrs  # noqa: E402
from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import conversion_plan  # noqa: E402

INPUTS = ["10.244.0.0/16", "FD00:10:244:0::/56", "10.96.0.0/12", "2001:db8:0:0:0:0:0:0/108"] * 25
REPEAT, NUMBER = 15, 50


def median_us(func) -> float:
    """Median microseconds per call of func over REPEAT runs of NUMBER calls."""
    runs = timeit.repeat(func, repeat=REPEAT, number=NUMBER)
    return statistics.median(runs) / NUMBER * 1e6


def main() -> None:
    rows = {}
    rows["ipaddress.ip_network x100"] = median_us(lambda: [ipaddress.ip_network(c.lower()) for c in INPUTS])
    try:
        import netaddr  # pylint: disable=import-outside-toplevel
    except ImportError:
        netaddr = None
    if netaddr is not None:
        rows["netaddr.IPNetwork x100"] = median_us(lambda: [netaddr.IPNetwork(c).cidr for c in INPUTS])
    rows["dualstack_cidrs(pair) x100"] = median_us(
        lambda: [cidrs.dualstack_cidrs("10.244.0.0/16, fd00:10:244::/56") for dummy in range(100)])
    rows["node_cidr_mask_size x100"] = median_us(
        lambda: [cidrs.node_cidr_mask_size("fd00:10:244::/56", nodes=300, max_pods=110) for dummy in range(100)])
    nodes = {"node%d" % i: ["192.168.%d.%d" % (i // 250, i % 250 + 1), "fd00:77::%x" % (i + 1)] for i in range(500)}
    rows["conversion_plan 500 nodes"] = median_us(lambda: conversion_plan(
        "10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/16,fd00:10:96::/112", "v1.34.12", nodes,
        node_cidrs="192.168.0.0/16,fd00:77::/64"))
    print("%-30s %12s" % ("case (median of %d)" % REPEAT, "us/call"))
    for name, value in rows.items():
        print("%-30s %12.1f" % (name, value))
    if netaddr is not None:
        print("ratio netaddr/ipaddress parsing: %.2f" % (rows["netaddr.IPNetwork x100"] / rows["ipaddress.ip_network x100"]))


if __name__ == "__main__":
    main()
