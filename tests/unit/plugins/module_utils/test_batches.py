# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""plugins/module_utils/batches.py: dualstack_nodes_batch in Ansible serial's forms, capped by dualstack_nodes_max_unavailable."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.batches import batch_summary, nodes_batch, parse_size, size_of
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.plan import conversion_plan


@pytest.mark.parametrize("value, total, nodes", [
    (1, 500, 1), ("5", 500, 5), (" 25 ", 3, 25), ("10%", 500, 50), ("20%", 499, 99),
    ("1%", 50, 1),     # rounds down to 0, at least one (Ansible's pct_to_int)
    ("100%", 7, 7),
])
def test_sizes_as_ansible_serial_reads_them(value, total, nodes):
    assert size_of(value, total, "dualstack_nodes_batch") == nodes


@pytest.mark.parametrize("value", [0, "0", "-1", "ten", "10 %%", "0%", "101%", "", True, 2.5, None, [2]])
def test_bad_sizes_are_refused_naming_the_value_and_the_forms(value):
    with pytest.raises(DualStackError) as err:
        parse_size(value, "dualstack_nodes_batch")
    assert str(err.value).startswith("dualstack_nodes_batch %r: expected a number of nodes" % (value,))
    assert "'10%'" in str(err.value)


def test_the_batch_and_its_cap():
    assert nodes_batch(None, None, 40) == 1
    assert nodes_batch("10%", None, 500) == 50
    assert nodes_batch("10%", 50, 500) == 50
    assert nodes_batch("10%", "10%", 500) == 50
    # A batch beyond the number of nodes takes them all: compared with the cap as what it takes out.
    assert nodes_batch(10, 2, 2) == 10
    with pytest.raises(DualStackError) as err:
        nodes_batch("20%", "5%", 500)
    assert str(err.value) == (
        "dualstack_nodes_batch 20% takes 100 of the 500 non-control-plane nodes out at a time, more than "
        "dualstack_nodes_max_unavailable 5% (25): lower dualstack_nodes_batch to 25 or less, or raise "
        "dualstack_nodes_max_unavailable")
    with pytest.raises(DualStackError, match="dualstack_nodes_max_unavailable 'many'"):
        nodes_batch(2, "many", 10)


def test_summary_lines():
    assert "one node at a time" in batch_summary(1) and "one node at a time" in batch_summary(None)
    assert batch_summary(50).startswith("kubelets and Nodes of non-control-plane nodes: 50 nodes at a time")


def test_the_plan_carries_the_batch_and_reports_a_bad_one_with_the_other_problems():
    nodes = {"cp1": "192.168.77.11,fd00:77::11", "w1": "192.168.77.21,fd00:77::21"}
    pods, services = "10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/16,fd00:10:96::/112"
    plan = conversion_plan(pods, services, "1.34", nodes, nodes_batch="50%", worker_count=4)
    assert plan["nodes_batch"] == 2 and "kubelets and Nodes of non-control-plane nodes: 2 nodes at a time" in " ".join(plan["summary"])
    assert conversion_plan(pods, services, "1.34", nodes)["nodes_batch"] == 1
    with pytest.raises(DualStackError) as err:
        conversion_plan(pods, services, "1.34", nodes, max_pods="lots", nodes_batch="half")
    assert "2 problems" in str(err.value) and "dualstack_nodes_batch 'half'" in str(err.value)
