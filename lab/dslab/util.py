"""Shared helpers: paths, subprocess wrappers and the build helper's API.

Lab state never lives in the repository: the cache (base rootfs, binaries,
images) is :func:`cache_root` and everything that exists only while the lab
is up lives in :func:`run_dir`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Mapping, Sequence

Log = Callable[[str], None]

#: PATH used for commands run inside a node.
NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def log(msg: str) -> None:
    """Print a timestamped progress line to stderr."""
    print(f"[dslab {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    """Return the cache directory (the build helper's, if it is importable)."""
    try:
        from dslab import build

        return Path(build.cache_root())
    except (ImportError, AttributeError):
        env = os.environ.get("DUALSTACK_LAB_CACHE")
        return Path(env) if env else Path.home() / ".cache" / "dualstack-lab"


def run_dir() -> Path:
    """Return the runtime directory (``DUALSTACK_LAB_RUN`` or ``<cache>/run``).

    It sits on the same disk as the cache on purpose: node rootfs copies live
    here, and containerd's overlayfs snapshotter needs a real filesystem.
    """
    env = os.environ.get("DUALSTACK_LAB_RUN")
    return Path(env) if env else cache_root() / "run"


def default_version() -> str:
    """Return the Kubernetes version the build helper builds by default."""
    from dslab import build

    return str(build.DEFAULT_VERSION)


def ensure_binaries(version: str | None = None, log_fn: Log = log) -> Path:
    """Return the directory holding kubeadm, kubelet, kubectl, ... (build helper)."""
    from dslab import build

    return Path(build.ensure_binaries(version, log=log_fn))


def ensure_images(version: str | None = None, log_fn: Log = log) -> dict[str, Path]:
    """Return ``{image ref: tarball}`` for every lab image (build helper)."""
    from dslab import images

    return {str(k): Path(v) for k, v in images.ensure_images(version, log=log_fn).items()}


def image_refs(version: str) -> dict[str, str]:
    """Return ``{role: image ref}`` (apiserver, pause, coredns, testbox, ...)."""
    from dslab import images

    return {str(k): str(v) for k, v in images.image_refs(version).items()}


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    capture: bool = True,
    input_text: str | None = None,
    stdin: int | IO[Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = 600,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv``; raise :class:`CommandError` on failure when ``check``."""
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update(env)
    proc = subprocess.run(
        list(argv),
        input=input_text,
        stdin=stdin if input_text is None else None,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stdout or "", proc.stderr or "")
    return proc


class CommandError(RuntimeError):
    """A command exited non-zero."""

    def __init__(self, argv: Sequence[str], rc: int, out: str, err: str) -> None:
        self.argv = list(argv)
        self.rc = rc
        self.out = out
        self.err = err
        tail = (err or out).strip().splitlines()[-15:]
        super().__init__(f"{shlex.join(argv)} exited {rc}:\n" + "\n".join(tail))


def wait_for(
    what: str, probe: Callable[[], bool], timeout: float, interval: float = 0.5
) -> float:
    """Poll ``probe`` until it returns true; return seconds waited or raise TimeoutError."""
    start = time.monotonic()
    while True:
        try:
            if probe():
                return time.monotonic() - start
        except (OSError, CommandError, subprocess.TimeoutExpired):
            pass
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def write_file(path: Path, content: str, mode: int = 0o644) -> bool:
    """Write ``content`` to ``path`` if it differs; return True when it changed."""
    try:
        if path.read_text() == content and (path.stat().st_mode & 0o7777) == mode:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".dslab-tmp")
    tmp.write_text(content)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


def pids_of_cmdline(pred: Callable[[list[str]], bool]) -> list[int]:
    """Return the PIDs whose argv satisfies ``pred``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        argv = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
        if argv and pred(argv):
            found.append(int(entry.name))
    return found


def first(items: Iterable[str], prefix: str) -> str | None:
    """Return the first item starting with ``prefix`` (helper for argv scans)."""
    for item in items:
        if item.startswith(prefix):
            return item
    return None
