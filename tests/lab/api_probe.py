#!/usr/bin/env python3
"""The API's availability through controlPlaneEndpoint: ``GET /readyz`` every 100 ms, each on a new connection.

The endpoint is cp1 on the single control-plane lab and the load balancer on the HA lab
(DUALSTACK_LAB_CONTROL_PLANES=3), where the status of each apiserver in HAProxy's rotation is also read every
100 ms (its runtime API) and the seconds each one was not UP are summed. Used by benchmarks/conversion.py (in
process) and by molecule/ha (``start`` in prepare, ``stop`` in verify: a background process that writes its counts
every second). A probe fails when it gets no HTTP 200 within 1 s; consecutive failures form a window.
Run from the checkout: python3 tests/lab/api_probe.py start|stop|counts
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab"))

from dslab import lb, net  # noqa: E402  pylint: disable=wrong-import-position
sys.path.insert(0, str(REPO / "tests" / "lab"))
from workload import command_line  # noqa: E402  pylint: disable=wrong-import-position

STATE_DIR = REPO / "tests" / "output" / "api_probe"
COUNTS = STATE_DIR / "counts.json"
PIDFILE = STATE_DIR / "probe.pid"
INTERVAL = 0.1
TIMEOUT = 1.0


def readyz_url() -> str:
    """``/readyz`` of controlPlaneEndpoint."""
    return "https://%s:6443/readyz" % net.api_endpoint()


class ReadyzProbe(threading.Thread):
    """GET /readyz every 100 ms; the failures, their windows and the longest time without a 200."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.url = readyz_url()
        self.samples = 0
        self.failures = 0
        self.longest = 0.0
        self.down = 0.0
        self.windows: list[list[float]] = []
        self._down_since: float | None = None
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # a probe of one lab address; no credentials are sent

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=TIMEOUT, context=self.context) as answer:
                    ok = answer.status == 200
            except Exception:  # pylint: disable=broad-except
                ok = False
            self.samples += 1
            if ok:
                if self._down_since is not None:
                    gap = started - self._down_since
                    self.longest = max(self.longest, gap)
                    self.down += gap
                    self.windows.append([round(time.time() - (time.monotonic() - self._down_since), 1), round(gap, 1)])
                self._down_since = None
            else:
                self.failures += 1
                self._down_since = self._down_since or started
            self.stop.wait(max(0.0, INTERVAL - (time.monotonic() - started)))

    def figures(self) -> dict:
        """Counts so far (a window still open counts up to now)."""
        open_gap = time.monotonic() - self._down_since if self._down_since is not None else 0.0
        return {"url": self.url, "probes": self.samples, "failed": self.failures,
                "unavailable_seconds": round(self.down + open_gap, 1),
                "longest_gap": round(max(self.longest, open_gap), 1), "windows": self.windows[-50:]}


class RotationWatch(threading.Thread):
    """Every 100 ms, the status of each apiserver behind the HA lab's load balancer; seconds not UP per server."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.out: dict[str, float] = {}
        self.states: dict[str, set] = {}

    def run(self) -> None:
        last = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            for server, state in lb.servers().items():
                self.states.setdefault(server, set()).add(state["status"])
                if state["status"] != "UP":
                    self.out[server] = self.out.get(server, 0.0) + (now - last)
            last = now
            self.stop.wait(INTERVAL)

    def figures(self) -> dict:
        """``{server: {"out_seconds": s, "states": [...]}}``."""
        return {server: {"out_seconds": round(self.out.get(server, 0.0), 1), "states": sorted(states)}
                for server, states in sorted(self.states.items())}

    def summary(self) -> str:
        return ", ".join("%s %.1f s (%s)" % (server, f["out_seconds"], "/".join(f["states"]))
                         for server, f in self.figures().items()) or "no load balancer"


def serve() -> None:
    """The background probe: both threads, counts written every second until SIGTERM."""
    probe, rotation = ReadyzProbe(), RotationWatch() if net.is_ha() else None
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    probe.start()
    if rotation:
        rotation.start()
    started = time.time()
    while True:
        figures = {**probe.figures(), "seconds": round(time.time() - started, 1),
                   "rotation": rotation.figures() if rotation else {}}
        tmp = COUNTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(figures))
        os.replace(tmp, COUNTS)
        if done.wait(1.0):
            break
    probe.stop.set()
    probe.join(2)


def start() -> dict:
    """Start the background probe (a running one is replaced) and wait for its first counts."""
    stop_running()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    COUNTS.unlink(missing_ok=True)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        try:
            serve()
        finally:
            os._exit(0)  # pylint: disable=protected-access
    PIDFILE.write_text(str(pid))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not COUNTS.exists():
        time.sleep(0.2)
    return counts()


def counts() -> dict:
    """The counts the probe last wrote (empty before its first)."""
    return json.loads(COUNTS.read_text()) if COUNTS.exists() else {}


def stop_running() -> None:
    """SIGTERM the background probe and wait (5 s at most) until it wrote its last counts and exited."""
    try:
        pid = int(PIDFILE.read_text())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        PIDFILE.unlink(missing_ok=True)
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    PIDFILE.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie child of this process counts as gone)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    status = Path("/proc/%d/status" % pid)
    return status.exists() and "\nState:\tZ" not in status.read_text()


def stop() -> dict:
    """Stop the background probe and return its final counts."""
    stop_running()
    return counts()


def main(argv: list[str]) -> int:
    return command_line(argv, __doc__, {"start": start, "stop": stop, "counts": counts})


if __name__ == "__main__":
    sys.exit(main(sys.argv))
