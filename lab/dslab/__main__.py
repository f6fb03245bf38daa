"""Command line: ``PYTHONPATH=lab python3 -m dslab COMMAND``.

Commands:
  up [--version V]     build/boot the three nodes and the cluster (restartable)
  down                 tear everything down (late nodes included); exit 1 if anything is left
  join NODE            boot a late node (w3) and run a plain kubeadm join (one --node-ip)
  remove NODE          drain and delete a late node, stop it, remove its rootfs
  status               node and cluster state (JSON)
  leftovers            list what the lab left on the host; exit 1 if any
  kubectl ARGS...      host kubectl against the lab's admin.conf
  ssh NODE [CMD...]    ssh to a node (cp1, w1, w2 or dslab-...) as root
  inventory [--json]   Ansible inventory (YAML by default)
  inventory --molecule instance config for Molecule's default driver (JSON)
  env                  shell exports: KUBECONFIG and PATH for kubectl
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from typing import Iterator

from dslab import cluster, lifecycle, net, nodes
from dslab.util import cache_root


@contextlib.contextmanager
def lab_lock() -> Iterator[None]:
    """Hold an exclusive lock so two ``up``/``down`` never run at once."""
    path = cache_root() / "state" / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("dslab: another up/down holds the lab lock; waiting", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _yaml(data: object, indent: int = 0) -> str:
    """Render nested dicts of strings as YAML (enough for an inventory)."""
    pad = "  " * indent
    out = []
    assert isinstance(data, dict)
    for key, value in data.items():
        if isinstance(value, dict):
            out.append(f"{pad}{key}:" + (" {}" if not value else ""))
            if value:
                out.append(_yaml(value, indent + 1))
        else:
            out.append(f"{pad}{key}: {json.dumps(value)}")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """Dispatch a command; return the exit status."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "up":
        version = rest[rest.index("--version") + 1] if "--version" in rest else None
        with lab_lock():
            times = lifecycle.up(version)
        print(json.dumps(times, indent=1))
        return 0
    if cmd == "down":
        with lab_lock():
            left = lifecycle.down()
        for item in left:
            print(f"LEFTOVER {item}", file=sys.stderr)
        return 1 if left else 0
    if cmd in ("join", "remove"):
        if len(rest) != 1:
            print(f"usage: dslab {cmd} NODE (late nodes: {', '.join(n.name for n in net.LATE_NODES)})", file=sys.stderr)
            return 2
        with lab_lock():
            if cmd == "join":
                print(json.dumps(lifecycle.join_late(rest[0]), indent=1))
            else:
                lifecycle.remove_late(rest[0])
        return 0
    if cmd == "leftovers":
        left = lifecycle.leftovers()
        for item in left:
            print(item)
        return 1 if left else 0
    if cmd == "status":
        print(json.dumps(lifecycle.status(), indent=1))
        return 0
    if cmd == "kubectl":
        args = [str(cluster.kubectl_path()), "--kubeconfig", str(cluster.kubeconfig_path()),
                *rest]
        os.execv(args[0], args)
    if cmd == "ssh":
        if not rest:
            print("usage: dslab ssh NODE [CMD...]", file=sys.stderr)
            return 2
        n = net.node(rest[0])
        args = nodes.node_ssh_argv(n, rest[1:])
        if sys.stdin.isatty() and not rest[1:]:
            args.insert(1, "-t")
        os.execvp(args[0], args)
    if cmd == "inventory":
        if "--molecule" in rest:
            print(json.dumps(lifecycle.molecule_instances(), indent=1))
            return 0
        inv = lifecycle.inventory()
        print(json.dumps(inv, indent=1) if "--json" in rest else "---\n" + _yaml(inv))
        return 0
    if cmd == "env":
        print(f"export KUBECONFIG={cluster.kubeconfig_path()}")
        print(f"export PATH={cluster.kubectl_path().parent}:$PATH")
        return 0
    print(f"unknown command {cmd!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
