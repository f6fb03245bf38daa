# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Every role ships a README in geerlingguy's shape that documents all of its variables.

The "Role Variables" block of each roles/<role>/README.md (between the variables markers) lists
every variable of defaults/main.yml with its default exactly as that file has it, and every option
of meta/argument_specs.yml; scripts/role_readmes.py writes that block, and it is up to date.
No README names the test lab.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if p.is_dir())
START, END = "<!-- variables:start -->", "<!-- variables:end -->"
SECTIONS = ["## Requirements", "## Role Variables", "## Dependencies", "## Example Playbook", "## License"]


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text()) if path.exists() else None


def readme(role: str) -> str:
    path = REPO / "roles" / role / "README.md"
    assert path.exists(), f"roles/{role} has no README.md"
    return path.read_text()


def variables_block(role: str) -> str:
    text = readme(role)
    start, end = text.find(START), text.find(END)
    assert 0 <= start < end, f"roles/{role}/README.md: no {START} ... {END} block"
    return text[start + len(START):end]


def shown_defaults(block: str) -> dict[str, Any]:
    """The variables of the block's YAML snippets, parsed."""
    shown: dict[str, Any] = {}
    for snippet in re.findall(r"^```yaml\n(.*?)^```$", block, flags=re.M | re.S):
        for name, value in (yaml.safe_load(snippet) or {}).items():
            assert name not in shown, f"{name} shown twice"
            shown[name] = value
    return shown


def argument_specs(role: str) -> dict[str, Any]:
    return (load(REPO / "roles" / role / "meta" / "argument_specs.yml") or {}).get("argument_specs", {})


def generator():
    spec = importlib.util.spec_from_file_location("role_readmes", REPO / "scripts" / "role_readmes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_role_directory_is_covered() -> None:
    assert ROLES and set(ROLES) >= {"preflight", "control_plane", "kubelet", "kube_proxy", "nodes", "cni", "egress",
                                    "services", "verify"}


@pytest.mark.parametrize("role", ROLES)
def test_readme_has_the_sections(role: str) -> None:
    text = readme(role)
    assert text.startswith(f"# Ansible Role: dualstack.kubernetes.{role}\n"), f"{role}: title"
    positions = [text.find("\n" + section + "\n") for section in SECTIONS]
    assert all(p >= 0 for p in positions), f"{role}: missing {[s for s, p in zip(SECTIONS, positions) if p < 0]}"
    assert positions == sorted(positions), f"{role}: sections out of order"
    assert START in text.split("## Role Variables", 1)[1].split("## Dependencies", 1)[0], f"{role}: variables block"
    assert "GPL-3.0-or-later" in text.split("## License", 1)[1]
    example = text.split("## Example Playbook", 1)[1].split("## License", 1)[0]
    assert f"role: dualstack.kubernetes.{role}" in example or f"name: dualstack.kubernetes.{role}" in example
    plays = [play for snippet in re.findall(r"^```yaml\n(.*?)^```$", example, flags=re.M | re.S)
             for play in (yaml.safe_load(snippet) or []) if isinstance(play, dict) and "hosts" in play]
    assert plays, f"{role}: no play in the example"
    groups = {"kube_control_plane", "kube_control_plane[0]", "kube_node", "k8s_cluster", "localhost"}
    assert {play["hosts"] for play in plays} <= groups, f"{role}: example hosts {[p['hosts'] for p in plays]}"


@pytest.mark.parametrize("role", ROLES)
def test_readme_shows_every_default_as_defaults_main_has_it(role: str) -> None:
    defaults = load(REPO / "roles" / role / "defaults" / "main.yml") or {}
    shown = shown_defaults(variables_block(role))
    missing = sorted(set(defaults) - set(shown))
    assert not missing, f"roles/{role}/README.md: variables of defaults/main.yml not listed: {missing}"
    wrong = {name: (shown[name], value) for name, value in defaults.items() if shown[name] != value}
    assert not wrong, f"roles/{role}/README.md: defaults that differ from defaults/main.yml: {wrong}"


@pytest.mark.parametrize("role", ROLES)
def test_readme_lists_every_argument_specs_option(role: str) -> None:
    defaults = load(REPO / "roles" / role / "defaults" / "main.yml") or {}
    block = variables_block(role)
    shown = shown_defaults(block)
    for entry, spec in argument_specs(role).items():
        for name, option in ((spec or {}).get("options") or {}).items():
            assert f"`{name}`" in block or name in shown, f"roles/{role}/README.md: option {entry}:{name} not listed"
            if entry == "main":
                assert name in shown, f"roles/{role}/README.md: option {name} has no default shown"
                if name not in defaults and "default" in option:
                    assert shown[name] == option["default"], f"roles/{role}/README.md: {name} default"


@pytest.mark.parametrize("role", ROLES)
def test_readme_block_is_what_the_generator_writes(role: str) -> None:
    module = generator()
    assert variables_block(role) == "\n" + module.render(role), (
        f"roles/{role}/README.md is stale: run python scripts/role_readmes.py"
    )


@pytest.mark.parametrize("role", ROLES)
def test_readme_does_not_name_the_lab(role: str) -> None:
    text = readme(role)
    assert "dslab" not in text.lower()
    assert not re.search(r"\blab\b", text, flags=re.I), f"roles/{role}/README.md names the lab"
    assert "192.168.77." not in text and "fd00:77:" not in text, f"roles/{role}/README.md shows lab addresses"


def test_generator_markup_and_refresh() -> None:
    module = generator()
    assert module.markdown(["V(present) turns C(x=1) on;", "see O(cni_state) (the lab's test)."]) == (
        "`present` turns `x=1` on; see `cni_state`."
    )
    text = f"# T\n\nprose\n{START}\nold\n{END}\n\nmore prose\n"
    assert module.refresh(text, "new\n") == f"# T\n\nprose\n{START}\nnew\n{END}\n\nmore prose\n"
    with pytest.raises(ValueError):
        module.refresh("# T\n", "new\n")
