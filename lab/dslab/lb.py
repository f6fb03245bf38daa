"""The HA lab's load balancer: Debian's HAProxy in a network namespace of its own, in front of every kube-apiserver.

Set up the way the kubeadm HA guide (``docs/ha-considerations.md``, "haproxy configuration") sets one up: a TCP
frontend on ``controlPlaneEndpoint`` (here :data:`net.LOAD_BALANCER`, an address of both families on the lab
bridge), a backend with one server per control plane, health-checked over TLS with ``GET /readyz`` (the guide
checks ``/healthz``; ``/readyz`` also fails while an apiserver shuts down). HAProxy's runtime API listens on
:func:`admin_socket` (``level admin``): ``set server apiservers/<node> state drain|ready`` takes a server out of
rotation and back, which is what the collection's apiserver hook does in the HA scenario. The process runs in
the namespace ``dslab-lb`` (``down`` kills what is left there, like the nodes' processes).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from dslab import net
from dslab.util import Log, log, run, run_dir, wait_for, write_file

BACKEND = "apiservers"
HAPROXY = "/usr/sbin/haproxy"
#: Health check: every second, out after 2 failures, back after 2 successes (the guide's defaults are
#: HAProxy's: 2 s, fall 3, rise 2); a connect failure is retried on another server (redispatch).
CHECK = "inter 1s fall 2 rise 2"


def lb_dir() -> Path:
    """Where the load balancer's configuration, pid file and admin socket live."""
    return run_dir() / "lb"


#: HAProxy's runtime API (``level admin``): a fixed host path, so that an inventory can name it (molecule/ha).
ADMIN_DIR = Path("/run/dslab-lb")


def admin_socket() -> Path:
    """HAProxy's runtime API socket (``level admin``)."""
    return ADMIN_DIR / "admin.sock"


def config(port: int) -> str:
    """Return ``haproxy.cfg`` with one server per control plane of the lab."""
    lb = net.LOAD_BALANCER
    servers = "".join(f"    server {n.name} {n.ipv4}:{port} check check-ssl verify none\n" for n in net.control_planes())
    return (
        "global\n"
        f"    stats socket {admin_socket()} mode 600 level admin\n"
        f"    pidfile {lb_dir() / 'haproxy.pid'}\n"
        "    daemon\n"
        "defaults\n"
        "    mode tcp\n"
        "    option dontlognull\n"
        "    option redispatch\n"
        "    retries 3\n"
        "    timeout connect 5s\n"
        # Watches and HTTP/2 connections stay open for minutes (client-go pings them).
        "    timeout client 10m\n"
        "    timeout server 10m\n"
        "    timeout check 2s\n"
        "frontend apiserver\n"
        f"    bind {lb.ipv4}:{port}\n"
        f"    bind [{lb.ipv6}]:{port}\n"
        f"    default_backend {BACKEND}\n"
        f"backend {BACKEND}\n"
        "    option httpchk\n"
        "    http-check connect ssl\n"
        "    http-check send meth GET uri /readyz\n"
        "    http-check expect status 200\n"
        "    balance roundrobin\n"
        f"    default-server {CHECK}\n"
        + servers
    )


def rotation_vars() -> dict[str, object]:
    """The control_plane role's hooks for this load balancer (inventory vars): drain a server, then ready it.

    ``socat`` speaks to the runtime API on the host (the socket is the host's); ``{{ inventory_hostname }}`` is
    templated per control plane, whose inventory name is its server name here.
    """
    argv = ["socat", "-", f"UNIX-CONNECT:{admin_socket()}"]
    server = f"{BACKEND}/{{{{ inventory_hostname }}}}"
    return {
        "control_plane_rotation_out": {"argv": argv, "stdin": f"set server {server} state drain", "host": "localhost",
                                       "drain_seconds": 1},
        # rise 2 x inter 1 s: the health check takes the server back within ~2 s of its /readyz answering.
        "control_plane_rotation_in": {"argv": argv, "stdin": f"set server {server} state ready", "host": "localhost",
                                      "settle_seconds": 3},
    }


def pid() -> int | None:
    """The running HAProxy's pid (from its pid file), or None."""
    try:
        value = int((lb_dir() / "haproxy.pid").read_text().split()[0])
        os.kill(value, 0)
        return value
    except (OSError, ValueError, IndexError):
        return None


def ensure(port: int, log_fn: Log = log) -> None:
    """Create the namespace, write the configuration and (re)start HAProxy when it is not running with it."""
    from dslab import lifecycle  # the netns record lives there (lifecycle imports this module)

    net.ensure_node_netns(net.LOAD_BALANCER)
    lifecycle.record_netns(net.LOAD_BALANCER)
    lb_dir().mkdir(parents=True, exist_ok=True)
    ADMIN_DIR.mkdir(mode=0o700, exist_ok=True)
    cfg = lb_dir() / "haproxy.cfg"
    changed = write_file(cfg, config(port), 0o600)
    run([HAPROXY, "-c", "-q", "-f", str(cfg)])
    running = pid()
    if running and not changed:
        return
    argv = ["ip", "netns", "exec", net.LOAD_BALANCER.netns, HAPROXY, "-f", str(cfg)]
    run(argv + (["-sf", str(running)] if running else []))
    wait_for("HAProxy admin socket", lambda: command("show info").startswith("Name: HAProxy"), 10, 0.2)
    log_fn(f"load balancer {net.LOAD_BALANCER.ipv4}:{port} / [{net.LOAD_BALANCER.ipv6}]:{port} "
           f"({'reloaded' if running else 'started'}; servers {', '.join(n.name for n in net.control_planes())})")


def command(text: str, timeout: float = 5) -> str:
    """Send one command to HAProxy's runtime API; return its answer ('' when it does not answer)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(admin_socket()))
            sock.sendall(text.encode() + b"\n")
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks).decode()
    except OSError:
        return ""


def servers() -> dict[str, dict[str, str]]:
    """``{server: {"status": UP|DOWN|DRAIN|MAINT|..., "check": last check}}`` from ``show stat``."""
    lines = command("show stat").splitlines()
    if not lines or not lines[0].startswith("# "):
        return {}
    head = lines[0][2:].split(",")
    result = {}
    for line in lines[1:]:
        row = dict(zip(head, line.split(",")))
        if row.get("pxname") == BACKEND and row.get("svname") not in ("FRONTEND", "BACKEND", None):
            result[row["svname"]] = {"status": row.get("status", ""), "check": row.get("check_status", "")}
    return result


def wait_all_up(timeout: float = 120) -> float:
    """Wait until the health check has every control plane UP."""
    names = {n.name for n in net.control_planes()}
    return wait_for("every apiserver UP behind the load balancer",
                    lambda: {k for k, v in servers().items() if v["status"] == "UP"} >= names, timeout, 0.5)


def stop(log_fn: Log = log) -> None:
    """Stop HAProxy and remove its socket directory (``down`` removes the namespace and kills anything left in it)."""
    running = pid()
    if running:
        os.kill(running, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and pid():
            time.sleep(0.1)
        log_fn("load balancer stopped")
    if ADMIN_DIR.exists():
        for entry in ADMIN_DIR.iterdir():
            entry.unlink()
        ADMIN_DIR.rmdir()
