# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Static checks of the conversion roles and the site playbook.

Every role variable carries the role's prefix and is documented in meta/argument_specs.yml,
every task is named and uses a FQCN from ansible.builtin or this collection, and
playbooks/site.yml runs the roles in the conversion order.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES = ["control_plane", "kubelet", "kube_proxy", "nodes", "verify"]
# Keys of a task that are not its action.
TASK_KEYS = {
    "name", "when", "register", "loop", "loop_control", "vars", "changed_when", "failed_when", "until",
    "retries", "delay", "delegate_to", "run_once", "check_mode", "environment", "notify", "block", "rescue",
    "always", "tags", "become", "no_log", "ignore_errors", "throttle", "listen", "args", "delegate_facts",
}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def plays_of(path: Path) -> list:
    """The plays of a playbook, its import_playbook entries (a file beside it, or dualstack.kubernetes.NAME) expanded."""
    out = []
    for play in load(path):
        imported = play.get("ansible.builtin.import_playbook")
        if imported is None:
            out.append(play)
            continue
        if imported.startswith("dualstack.kubernetes."):
            out.extend(plays_of(REPO / "playbooks" / (imported.split(".")[-1] + ".yml")))
        else:
            out.extend(plays_of(path.parent / imported))
    return out


def tasks(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for task in items or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from tasks(task.get(key, []))


@pytest.mark.parametrize("role", ROLES)
def test_defaults_prefixed_and_documented(role: str) -> None:
    defaults = load(REPO / "roles" / role / "defaults" / "main.yml") or {}
    options = load(REPO / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name in list(defaults) + list(options):
        assert name.startswith(role + "_"), f"{role}: {name} lacks the role prefix"
    assert set(defaults) <= set(options), f"{role}: undocumented defaults {set(defaults) - set(options)}"


@pytest.mark.parametrize("role", ROLES)
def test_tasks_named_and_fqcn(role: str) -> None:
    for path in sorted((REPO / "roles" / role).glob("*/*.yml")):
        if path.parent.name not in ("tasks", "handlers"):
            continue
        for task in tasks(load(path)):
            assert task.get("name"), f"{path}: unnamed task {task}"
            if "block" in task:
                continue
            actions = [key for key in task if key not in TASK_KEYS]
            assert len(actions) == 1, f"{path}: {task['name']}: actions {actions}"
            assert actions[0].startswith(("ansible.builtin.", "dualstack.kubernetes.")), f"{path}: {actions[0]}"


def play_order(plays: list) -> list:
    """role[:components or tasks_from] of every role a playbook runs, in order (roles and include_role tasks)."""
    order = []
    for play in plays:
        entries = play.get("roles", []) + [
            task["ansible.builtin.include_role"] | {"vars": task.get("vars")} for task in play.get("tasks", [])
            if "ansible.builtin.include_role" in task
        ]
        for entry in entries:
            role = (entry.get("role") or entry.get("name")).split(".")[-1]
            entry_vars = entry.get("vars") or {}
            components = entry_vars.get("control_plane_components")
            extra = ":" + ",".join(components) if components else (":" + entry["tasks_from"] if "tasks_from" in entry else "")
            extra += ":" + entry_vars["nodes_scope"] if "nodes_scope" in entry_vars else ""
            order.append(role + extra)
    return order


def test_site_runs_the_roles_in_conversion_order() -> None:
    plays = plays_of(REPO / "playbooks" / "site.yml")
    assert play_order(plays) == [
        "preflight",
        "control_plane:kube-apiserver",
        "control_plane:service_cidr_check",
        "control_plane:kube-controller-manager",
        "control_plane:leader",
        "kubelet",
        "kubelet",
        "kube_proxy",
        "nodes:batch",
        "nodes:rest",
        "cni",
        "egress",
        "verify",
    ]
    by_role = {entry["role"]: play for play in plays for entry in play.get("roles", [])}
    assert all(play.get("serial") == 1 for play in plays if "control_plane" in str(play.get("roles")))
    assert by_role["dualstack.kubernetes.nodes"]["hosts"] == "kube_control_plane[0]"  # the last: rest


BATCH_HOSTS = "k8s_cluster:!kube_control_plane"


@pytest.mark.parametrize("playbook", ["site.yml", "rollback.yml"])
def test_control_planes_one_at_a_time_the_other_nodes_in_batches_that_finish_then_stop(playbook: str) -> None:
    plays = plays_of(REPO / "playbooks" / playbook)
    for role, fact in (("kubelet", "dualstack_batch_done_kubelet"), ("nodes", "dualstack_batch_done_nodes")):
        index = [i for i, play in enumerate(plays) if play.get("hosts") == BATCH_HOSTS
                 and [r["role"] for r in play["roles"]] == ["dualstack.kubernetes." + role]]
        assert len(index) == 1, role
        batch, after = plays[index[0]], plays[index[0] + 1]
        assert batch["serial"] == "{{ dualstack_nodes_batch | default(1) }}"
        # No any_errors_fatal: the other nodes of a failed node's batch finish; the next batch does not start.
        assert "any_errors_fatal" not in batch and "max_fail_percentage" not in batch
        assert batch["pre_tasks"] == [{"name": "Stop before this batch when a node of an earlier batch failed",
                                       "ansible.builtin.import_tasks": "tasks/batch_start.yml"}]
        assert batch["post_tasks"][0]["ansible.builtin.set_fact"] == {fact: True}
        # The next play ends the run when a node of the last batch failed.
        gate = (after.get("pre_tasks") or after.get("tasks"))[0]
        assert after["hosts"] == "kube_control_plane[0]" and after["any_errors_fatal"] is True
        assert gate["ansible.builtin.import_tasks"] == "tasks/batch_end.yml" and gate["vars"] == {"dualstack_batch_fact": fact}
    kubelet_cp = [play for play in plays if play.get("hosts") == "kube_control_plane"
                  and [r["role"] for r in play.get("roles", [])] == ["dualstack.kubernetes.kubelet"]]
    assert len(kubelet_cp) == 1 and kubelet_cp[0]["serial"] == 1 and kubelet_cp[0]["any_errors_fatal"] is True


def test_site_is_preflight_then_the_conversion_and_the_fault_test_breaks_only_the_plan_in_between() -> None:
    assert [play["ansible.builtin.import_playbook"] for play in load(REPO / "playbooks" / "site.yml")] == [
        "preflight.yml", "convert.yml"]
    fault = plays_of(REPO / "tests" / "lab" / "fault.yml")
    site = plays_of(REPO / "playbooks" / "site.yml")
    assert fault[:1] + fault[2:] == site
    assert all("set_fact" in str(task) or "assert" in str(task) for task in fault[1]["tasks"])


def test_checkout_site_imports_the_collection_playbook() -> None:
    assert load(REPO / "site.yml") == [
        {"name": "Convert the cluster to dual-stack", "ansible.builtin.import_playbook": "playbooks/site.yml"}
    ]


def test_molecule_lab_converges_with_site_and_checks_idempotence() -> None:
    molecule = load(REPO / "molecule" / "lab" / "molecule.yml")
    sequence = molecule["scenario"]["test_sequence"]
    assert sequence.index("converge") < sequence.index("idempotence") < sequence.index("verify")
    converge = load(REPO / "molecule" / "lab" / "converge.yml")
    assert converge[0]["ansible.builtin.import_playbook"] == "dualstack.kubernetes.site"
    # Both workers' kubelets in one batch on the way there; the way back (side_effect) one at a time.
    assert converge[0]["vars"] == {"dualstack_nodes_batch": 2}


def test_rollback_runs_the_roles_in_reverse_order_services_first() -> None:
    plays = load(REPO / "playbooks" / "rollback.yml")
    assert play_order(plays) == [
        "preflight",
        "services",
        "kube_proxy",
        "cni",
        "egress",
        "kubelet",
        "kubelet",
        "control_plane:kube-controller-manager",
        "nodes:batch",
        "nodes:rest",
        "control_plane:kube-controller-manager",
        "control_plane:leader",
        "services",
        "control_plane:kube-apiserver",
        "control_plane:service_cidr",
        "verify",
    ]
    assert plays[0]["roles"][0]["vars"] == {"preflight_rollback": True}
    # The Services are read again right before the apiservers (those created since preflight).
    relist = [play for play in plays if any(str(r.get("role", "")).endswith(".services") for r in play.get("roles", []))]
    assert [play["roles"][0].get("vars") for play in relist] == [None, {"services_relist": True}]
    assert all(play.get("any_errors_fatal") for play in plays if play.get("hosts") != BATCH_HOSTS)
    # The CNI and egress are turned off (no target needed), on every node for the egress chain.
    cni_play = [play for play in plays if any(str(r.get("role", "")).endswith(".cni") for r in play.get("roles", []))][0]
    assert [r["vars"] for r in cni_play["roles"]] == [{"cni_state": "absent"}, {"egress_state": "absent"}]
    assert cni_play["hosts"] == "k8s_cluster"


def test_molecule_lab_rolls_back_after_verify() -> None:
    sequence = load(REPO / "molecule" / "lab" / "molecule.yml")["scenario"]["test_sequence"]
    assert sequence.index("verify") < sequence.index("side_effect") < len(sequence) - 1
    side_effect = load(REPO / "molecule" / "lab" / "side_effect.yml")
    commands = [task["ansible.builtin.command"] for task in side_effect[0]["tasks"] if "ansible.builtin.command" in task]
    rollbacks = [command for command in commands if "playbooks/rollback.yml" in command]
    assert len(rollbacks) == 2
    # The operator's node metadata is put back before the way back and compared after it.
    assert commands.index("{{ node_metadata }} restore") < commands.index(rollbacks[0])
    assert commands.index(rollbacks[1]) < commands.index("{{ node_metadata }} check")


def test_molecule_playbooks_register_no_role_variable() -> None:
    """A registered name outranks role defaults for the rest of the run on that host: the lab's own checks must not
    register a name a role uses (the lab's `verify_dns` once replaced the verify role's boolean)."""
    prefixes = tuple(role.name + "_" for role in (REPO / "roles").iterdir() if role.is_dir())
    clashes = []
    for path in sorted((REPO / "molecule").glob("*/*.yml")):
        for name in re.findall(r"^\s*register:\s*(\w+)", path.read_text(), re.M):
            if name.startswith(prefixes):
                clashes.append("%s: %s" % (path.relative_to(REPO), name))
    assert clashes == []


def test_molecule_ha_runs_the_whole_sequence_on_three_control_planes_with_the_lab_hooks(monkeypatch) -> None:
    molecule = load(REPO / "molecule" / "ha" / "molecule.yml")
    sequence = molecule["scenario"]["test_sequence"]
    assert sequence.index("prepare") < sequence.index("converge") < sequence.index("idempotence") \
        < sequence.index("verify") < sequence.index("side_effect")
    assert [p["name"] for p in molecule["platforms"] if p["groups"] == ["kube_control_plane"]] == [
        "dslab-cp1", "dslab-cp2", "dslab-cp3"]
    assert molecule["provisioner"]["env"]["DUALSTACK_LAB_CONTROL_PLANES"] == "3"
    # The scenario's hooks are the ones `dslab inventory` prints for the HA lab (HAProxy's runtime API).
    import sys  # pylint: disable=import-outside-toplevel
    sys.path.insert(0, str(REPO / "lab"))
    from dslab import lb  # pylint: disable=import-outside-toplevel
    wanted = lb.rotation_vars()
    group_vars = molecule["provisioner"]["inventory"]["group_vars"]["all"]
    assert {key: group_vars[key] for key in wanted} == wanted


def test_an_apiserver_leaves_the_rotation_before_its_edit_and_is_kept_in_it_after() -> None:
    component = load(REPO / "roles" / "control_plane" / "tasks" / "component.yml")
    names = [task["name"] for task in component]
    block = next(task for task in component if "block" in task)
    inner = [task["name"] for task in block["block"]]
    assert inner.index("Take this kube-apiserver out of the load balancer's rotation") \
        < inner.index("Write the new flags, backup kept: {{ control_plane_component }}")
    # Back in the rotation after the block (every healthy apiserver: a killed run may have left one out) and, in the
    # rescue, only once the restored one is healthy again.
    assert names[-1] == "Keep this kube-apiserver in the load balancer's rotation"
    rescue = [task["name"] for task in block["rescue"]]
    assert rescue.index("Put the restored kube-apiserver back into the load balancer's rotation") \
        == rescue.index("Fail, naming the component that did not become healthy: {{ control_plane_component }}") - 1
    rotation_in = load(REPO / "roles" / "control_plane" / "tasks" / "rotation_in.yml")
    assert rotation_in[0]["changed_when"] == "control_plane_rotation_left is changed"


def test_hook_commands_run_with_no_log_and_a_failure_is_reported_without_argv_or_stdin() -> None:
    component = load(REPO / "roles" / "control_plane" / "tasks" / "component.yml")
    inner = next(task for task in component if "block" in task)["block"]
    rotation_in = load(REPO / "roles" / "control_plane" / "tasks" / "rotation_in.yml")
    for tasks, register in ((inner, "control_plane_rotation_left"), (rotation_in, "control_plane_rotation_back")):
        hook = next(t for t in tasks if "ansible.builtin.command" in t and t.get("register") == register)
        assert hook["no_log"] is True and hook["failed_when"] is False
        report = tasks[tasks.index(hook) + 1]
        assert report["when"] == "%s.rc | default(0) != 0" % register
        message = report["ansible.builtin.fail"]["msg"]
        assert "%s.rc" % register in message and "%s.stderr" % register in message
        assert "argv" not in message and "stdin" not in message
