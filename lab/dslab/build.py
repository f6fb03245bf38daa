"""Build the lab's Kubernetes, etcd and CoreDNS binaries from source, through the Go proxy.

Which release
-------------
The lab runs the newest stable patch release the Go module proxy serves (:data:`DEFAULT_VERSION`,
v1.37.2 on 2026-12-06); ``dslab up --version V`` runs another (``make matrix`` runs 1.33 to 1.37 and the
newest pre-release).  Mind that the proxy's ``k8s.io/kubernetes/@v/list`` is incomplete (on 2026-11-24 it
stopped at v1.34.4): ask for ``@v/<version>.info`` directly (v1.34.12 was served, v1.34.13 was "not
available").  The nodes are systemd-nspawn containers on this host's cgroup v1 hierarchy: from 1.35 the
kubelet needs ``failCgroupV1: false`` there and kubeadm's SystemVerification is skipped (see
:mod:`dslab.cluster`).  From 1.36 the release needs containerd 2.x (1.35 was the last to support
containerd 1.x), so for those releases containerd :data:`CONTAINERD_VERSION` is built here too (it still
runs on cgroup v1) and replaces the nodes' Debian containerd 1.6.20; runc stays Debian's 1.1.5.  A module
whose ``go`` line asks for a newer Go than the local one (1.38's pre-releases: go 1.27.0) makes the go
command fetch that toolchain from the proxy (``GOTOOLCHAIN=auto``).

How the build works
-------------------
No source tree is checked out.  For each product a small *wrapper module* is generated in the
cache (never in the repository), which requires the upstream module at the pinned version:

* ``k8s.io/kubernetes`` cannot be required as-is: its ``go.mod`` requires every staging module
  (``k8s.io/api``, ``k8s.io/client-go``, ...) at ``v0.0.0`` and resolves them with
  ``replace ... => ./staging/src/...``, but replace directives only apply in the main module and
  the staging directories are not part of the published module zip.  The wrapper therefore
  carries one ``replace`` per staging module, read from that ``go.mod``, pointing at the
  published staging release ``v0.<minor>.<patch>``.
* ``pkg/generated/openapi/zz_generated.openapi.go`` (needed by kube-apiserver) is absent from
  older published modules (every 1.34 patch release ships it).  When it is missing,
  :func:`ensure_openapi` runs ``openapi-gen`` from ``k8s.io/kube-openapi`` at the version
  kubernetes' ``go.mod`` pins, over every package of the kubernetes and staging modules that
  carries a ``+k8s:openapi-gen=`` tag (upstream's rule from ``hack/update-codegen.sh``).  The
  module cache is read-only and ``go build -overlay`` refuses files beneath GOMODCACHE, so the
  module source (~110 MB) is copied to ``work/kubernetes/src``, the generated file is added
  there, and the wrapper gains ``replace k8s.io/kubernetes => ./src``.  For v1.34.12 the
  generator's output was checked to be identical (past the license header) to the shipped
  file; ``DUALSTACK_LAB_GENERATE_OPENAPI=1`` forces this path.
* etcd (``go.etcd.io/etcd/server/v3`` and ``.../etcdctl/v3``) gets the same treatment: its
  ``go.mod`` replaces its sibling modules with ``../api`` etc., so the wrapper pins them to the
  same release.  The etcd and CoreDNS versions are those kubeadm of the pinned release expects,
  read from ``cmd/kubeadm/app/constants/constants.go`` in the kubernetes module.

Binaries are static (``CGO_ENABLED=0``), built with ``-tags providerless -trimpath`` and
``-ldflags "-s -w -X ..."`` setting the version variables of ``k8s.io/component-base/version``
and ``k8s.io/client-go/pkg/version``, so ``/version`` reports e.g. ``v1.34.12``.

Measured on 2 cores (fresh cache, modules downloaded on the way): kubernetes 422 s, etcd
31 s, CoreDNS 137 s, 594 s in all; a second cold build gave byte-identical executables.

``agnhost`` (upstream's e2e test program, ``test/images/agnhost`` of the kubernetes module) is
built the same way in a wrapper of its own, with ``-X main.Version=<its VERSION file>`` as
upstream's Makefile does; the lab image of it carries that tag (see :mod:`dslab.images`).

Environment: ``DUALSTACK_LAB_CACHE`` (cache root), ``DUALSTACK_LAB_GO`` (go binary; default
``go`` on PATH, then /usr/local/go/bin/go), ``DUALSTACK_LAB_SKIP_COREDNS=1``,
``DUALSTACK_LAB_GENERATE_OPENAPI=1``, ``GOPROXY`` (kept if set).  Builds take
``<cache>/build.lock``, so two lab processes never compile at once.

Cache layout (root: ``~/.cache/dualstack-lab`` or ``$DUALSTACK_LAB_CACHE``)::

    gomod/                 GOMODCACHE (shared by all versions; about 2.6 GB)
    gocache/               GOCACHE (shared; about 4.5 GB after a build)
    <version>/bin/         the executables (about 650 MB)
    <version>/stamps/      <product>.json, written only after a product built completely
    <version>/work/        wrapper modules, build logs, generated openapi (and source copy)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tarfile
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

Log = Callable[[str], None]

#: The lab's Kubernetes release: the newest stable patch the Go proxy serves (see the module docstring).
DEFAULT_VERSION = "v1.37.2"

K8S_MODULE = "k8s.io/kubernetes"
KUBE_OPENAPI_MODULE = "k8s.io/kube-openapi"
ETCD_SERVER_MODULE = "go.etcd.io/etcd/server/v3"
ETCDCTL_MODULE = "go.etcd.io/etcd/etcdctl/v3"
COREDNS_MODULE = "github.com/coredns/coredns"

#: Kubernetes commands built, as (main package, executable name).
KUBE_COMMANDS: tuple[tuple[str, str], ...] = tuple(
    (f"{K8S_MODULE}/cmd/{name}", name)
    for name in (
        "kubeadm",
        "kubelet",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kube-proxy",
        "kubectl",
    )
)
ETCD_COMMANDS: tuple[tuple[str, str], ...] = ((ETCD_SERVER_MODULE, "etcd"), (ETCDCTL_MODULE, "etcdctl"))
COREDNS_COMMANDS: tuple[tuple[str, str], ...] = ((COREDNS_MODULE, "coredns"),)
#: Upstream's e2e test image program (test/images/agnhost in the kubernetes module).
AGNHOST_REL = "test/images/agnhost"
AGNHOST_COMMANDS: tuple[tuple[str, str], ...] = ((f"{K8S_MODULE}/{AGNHOST_REL}", "agnhost"),)

#: containerd 2 for the releases that no longer support containerd 1.x (:func:`needs_containerd2`); the nodes'
#: Debian containerd 1.6.20 serves the older ones.  v2.4.2 still runs on cgroup v1 (its RELEASES.md: cgroup v1
#: support deprecated in 2.2, kept until May 2029); runc stays Debian's.
CONTAINERD_MODULE = "github.com/containerd/containerd/v2"
CONTAINERD_VERSION = "v2.4.2"
CONTAINERD_COMMANDS: tuple[tuple[str, str], ...] = (
    (f"{CONTAINERD_MODULE}/cmd/containerd", "containerd"), (f"{CONTAINERD_MODULE}/cmd/ctr", "ctr"))
CONTAINERD_SHIM_COMMANDS: tuple[tuple[str, str], ...] = (
    (f"{CONTAINERD_MODULE}/cmd/containerd-shim-runc-v2", "containerd-shim-runc-v2"),)
#: Upstream's Makefile with STATIC=1 (GO_BUILDTAGS), and ``no_grpc`` added for the shim (SHIM_GO_BUILDTAGS).
CONTAINERD_TAGS = "urfave_cli_no_docs osusergo netgo static_build"
CONTAINERD_SHIM_TAGS = CONTAINERD_TAGS + " no_grpc"
#: The first minor release that needs containerd 2 (1.35 was the last to support containerd 1.x).
CONTAINERD2_FROM_MINOR = 36

#: Packages whose version variables are set with -X in kubernetes binaries.
KUBE_VERSION_PACKAGES = ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
ETCD_VERSION_VAR = "go.etcd.io/etcd/api/v3/version.GitSHA"
COREDNS_VERSION_VAR = "github.com/coredns/coredns/coremain.GitCommit"
#: What upstream's test/images/agnhost/Makefile sets (LD_FLAGS = -X 'main.Version=$(VERSION)').
AGNHOST_VERSION_VAR = "main.Version"

OPENAPI_REL = "pkg/generated/openapi/zz_generated.openapi.go"
OPENAPI_PKG = f"{K8S_MODULE}/pkg/generated/openapi"
OPENAPI_TAG = "+k8s:openapi-gen="

#: Staging modules whose openapi tags upstream does not feed to the kubernetes openapi file
#: (code generator examples and the sample API server).
OPENAPI_EXCLUDED_MODULES = ("k8s.io/code-generator", "k8s.io/sample-apiserver")

BUILD_TAGS = "providerless"
#: Seconds between progress lines while a long go command runs.
PROGRESS_EVERY = 60.0
ZERO_COMMIT = "0" * 40


# --------------------------------------------------------------------------- paths, env


def cache_root() -> Path:
    """Return the lab cache root: ``$DUALSTACK_LAB_CACHE`` or ``~/.cache/dualstack-lab``."""
    env = os.environ.get("DUALSTACK_LAB_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dualstack-lab"


def version_dir(version: str, root: Path | None = None) -> Path:
    """Return ``<cache>/<version>``."""
    return (root or cache_root()) / version


def bin_dir(version: str, root: Path | None = None) -> Path:
    """Return the directory holding the built executables of ``version``."""
    return version_dir(version, root) / "bin"


def find_go() -> str:
    """Locate the Go toolchain: ``$DUALSTACK_LAB_GO``, ``go`` on PATH, or /usr/local/go/bin/go."""
    explicit = os.environ.get("DUALSTACK_LAB_GO")
    if explicit:
        return explicit
    found = shutil.which("go")
    if found:
        return found
    if Path("/usr/local/go/bin/go").exists():
        return "/usr/local/go/bin/go"
    raise RuntimeError("no Go toolchain found (install Go or set DUALSTACK_LAB_GO)")


def go_env(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for go commands: caches under ``root``, static, local toolchain."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "GOMODCACHE": str(root / "gomod"),
            "GOCACHE": str(root / "gocache"),
            # The local go unless a module's go line asks for a newer one, which the proxy then serves
            # (golang.org/toolchain; Kubernetes 1.38's pre-releases say go 1.27.0).
            "GOTOOLCHAIN": "auto",
            "GOWORK": "off",
            "GOFLAGS": "-mod=mod -modcacherw",
            "CGO_ENABLED": "0",
        }
    )
    env.setdefault("GOPROXY", "https://proxy.golang.org,direct")
    return env


def staging_version(version: str) -> str:
    """Map a Kubernetes release to its staging modules' release: ``v1.34.12`` -> ``v0.34.12``,
    ``v1.38.0-beta.0`` -> ``v0.38.0-beta.0`` (pre-releases publish their staging modules under the same suffix)."""
    match = re.fullmatch(r"v1\.(\d+)\.(\d+)(-(?:alpha|beta|rc)\.\d+)?", version)
    if not match:
        raise ValueError(f"not a Kubernetes release version: {version!r}")
    return f"v0.{match.group(1)}.{match.group(2)}{match.group(3) or ''}"


# --------------------------------------------------------------------------- go.mod handling


def parse_go_directive(gomod: str) -> str:
    """Return the ``go`` directive's version of a go.mod text."""
    match = re.search(r"^go\s+(\S+)\s*$", gomod, re.M)
    if not match:
        raise ValueError("go.mod has no go directive")
    return match.group(1)


def parse_godebug(gomod: str) -> list[str]:
    """Return the ``godebug`` settings (``key=value``) of a go.mod text."""
    settings: list[str] = []
    for block in re.findall(r"^godebug\s*\(\n(.*?)^\)", gomod, re.M | re.S):
        settings.extend(line.split("//")[0].strip() for line in block.splitlines())
    settings.extend(m.strip() for m in re.findall(r"^godebug\s+([^(\s].*)$", gomod, re.M))
    return [s for s in settings if s]


def parse_replaces(gomod: str) -> list[tuple[str, str]]:
    """Return the ``replace`` directives of a go.mod text as (old, new) pairs, in order."""
    lines: list[str] = []
    for block in re.findall(r"^replace\s*\(\n(.*?)^\)", gomod, re.M | re.S):
        lines.extend(block.splitlines())
    lines.extend(re.findall(r"^replace\s+([^(\s].*)$", gomod, re.M))
    pairs = []
    for line in lines:
        line = line.split("//")[0].strip()
        if "=>" in line:
            old, new = (part.strip() for part in line.split("=>", 1))
            pairs.append((old, new))
    return pairs


def sibling_replaces(gomod: str, local_prefix: str, version: str) -> dict[str, str]:
    """Turn replaces to local directories starting with ``local_prefix`` into ``path version``.

    ``k8s.io/api => ./staging/src/k8s.io/api`` becomes ``{"k8s.io/api": "k8s.io/api v0.34.12"}``.
    Replaces to other places (e.g. etcd's ``./FORBIDDEN_DEPENDENCY``) are dropped. A sibling of another
    major version keeps the version ``gomod`` requires: etcd 3.5's ``go.etcd.io/etcd/client/v2`` is
    released as v2.305.x beside v3.5.x (v3.5.24 there: "should be v2, not v3").
    """
    requires = parse_requires(gomod)
    major = version.lstrip("v").split(".")[0]
    result: dict[str, str] = {}
    for old, new in parse_replaces(gomod):
        path = old.split()[0]
        if new.startswith(local_prefix):
            suffix = re.search(r"/v(\d+)$", path)
            own = requires.get(path) if suffix and suffix.group(1) != major else None
            result[path] = f"{path} {own or version}"
    return result


def wrapper_gomod(
    module: str,
    go_version: str,
    requires: Mapping[str, str],
    replaces: Mapping[str, str],
    godebug: Iterable[str] = (),
) -> str:
    """Render the go.mod of a wrapper module (sorted, so the text is stable)."""
    out = [f"module {module}", "", f"go {go_version}", ""]
    debug = list(godebug)
    if debug:
        out += [f"godebug {setting}" for setting in debug] + [""]
    out.append("require (")
    out += [f"\t{path} {ver}" for path, ver in sorted(requires.items())]
    out += [")", ""]
    if replaces:
        out.append("replace (")
        out += [f"\t{path} => {target}" for path, target in sorted(replaces.items())]
        out += [")", ""]
    return "\n".join(out)


def kube_wrapper_gomod(k8s_gomod: str, version: str, source_dir: str | None = None) -> str:
    """Render the wrapper go.mod requiring k8s.io/kubernetes at ``version`` with staging replaces.

    ``source_dir`` (relative to the wrapper) replaces the kubernetes module itself with a
    writable copy of its source, used when the openapi definitions had to be generated.
    """
    replaces = sibling_replaces(k8s_gomod, "./staging/", staging_version(version))
    if not replaces:
        raise ValueError("kubernetes go.mod lists no staging replaces")
    if source_dir is not None:
        replaces[K8S_MODULE] = source_dir
    return wrapper_gomod(
        "dslab.local/build/kubernetes",
        parse_go_directive(k8s_gomod),
        {K8S_MODULE: version},
        replaces,
        parse_godebug(k8s_gomod),
    )


def required_staging_modules(k8s_gomod: str) -> list[str]:
    """Return the staging modules kubernetes both replaces and requires (the ones it builds
    with; ``k8s.io/sample-controller`` and ``k8s.io/sample-cli-plugin`` are only replaced, and
    some releases of them are missing from the proxy)."""
    requires = parse_requires(k8s_gomod)
    return sorted(m for m in sibling_replaces(k8s_gomod, "./staging/", "x") if m in requires)


def kubeadm_component_versions(constants_go: str) -> dict[str, str]:
    """Read etcd, CoreDNS and pause versions from kubeadm's ``constants.go``.

    Returns e.g. ``{"etcd": "3.6.5-0", "coredns": "v1.12.1", "pause": "3.10.1"}``.
    """
    patterns = {
        "etcd": r'DefaultEtcdVersion\s*=\s*"([^"]+)"',
        "coredns": r'CoreDNSVersion\s*=\s*"([^"]+)"',
        "pause": r'PauseVersion\s*=\s*"([^"]+)"',
    }
    found: dict[str, str] = {}
    for key, pattern in patterns.items():
        match = re.search(pattern, constants_go)
        if not match:
            raise ValueError(f"kubeadm constants lack {key} version")
        found[key] = match.group(1)
    return found


#: etcd releases the Go module proxy does not serve whole, built at the nearest patch it does (checked
#: 2026-12-06: go.etcd.io/etcd/etcdutl/v3, which etcdctl 3.5 needs, was refused at v3.5.22-v3.5.24, served at
#: v3.5.21). The image keeps the tag kubeadm expects; lab/README.md says so.
ETCD_NOT_SERVED = {"v3.5.24": "v3.5.21"}


def etcd_module_version(kubeadm_etcd: str) -> str:
    """Map kubeadm's etcd image tag to the etcd module version: ``3.6.5-0`` -> ``v3.6.5`` (see :data:`ETCD_NOT_SERVED`)."""
    version = "v" + kubeadm_etcd.split("-")[0].lstrip("v")
    return ETCD_NOT_SERVED.get(version, version)


# --------------------------------------------------------------------------- ldflags


def kube_version_ldflags(version: str, commit: str, build_date: str, tree_state: str = "clean") -> str:
    """Return ``-ldflags`` for kubernetes binaries: stripped, with the version variables set."""
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+.*", version)
    if not match:
        raise ValueError(f"bad version {version!r}")
    values = {
        "gitVersion": version,
        "gitMajor": match.group(1),
        "gitMinor": match.group(2),
        "gitCommit": commit,
        "gitTreeState": tree_state,
        "buildDate": build_date,
    }
    flags = ["-s", "-w"]
    for pkg in KUBE_VERSION_PACKAGES:
        flags += [f"-X {pkg}.{name}={value}" for name, value in values.items()]
    return " ".join(flags)


def simple_ldflags(var: str, value: str) -> str:
    """Return stripped ``-ldflags`` setting one version variable."""
    return f"-s -w -X {var}={value}"


def go_output_name(pkg: str) -> str:
    """Return the executable name ``go build -o dir/`` gives a main package.

    It is the last path element, or the one before it for a major-version suffix:
    ``go.etcd.io/etcd/server/v3`` -> ``server`` (renamed to ``etcd`` afterwards).
    """
    parts = pkg.split("/")
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        return parts[-2]
    return parts[-1]


def go_build_args(commands: Iterable[tuple[str, str]], out_dir: Path, ldflags: str,
                  tags: str = BUILD_TAGS) -> list[str]:
    """Return the arguments of one ``go build`` producing every command into ``out_dir``."""
    args = ["build", "-v", "-trimpath", "-tags", tags, "-ldflags", ldflags]
    args += ["-o", str(out_dir) + os.sep]
    args += [pkg for pkg, _name in commands]
    return args


# --------------------------------------------------------------------------- running go


def run_go(args: list[str], cwd: Path, root: Path, log_file: Path | None = None,
           progress: Callable[[float], None] | None = None, extra_env: Mapping[str, str] | None = None) -> str:
    """Run ``go args`` in ``cwd``; return stdout.  Output goes to ``log_file`` when given,
    and then ``progress(elapsed seconds)`` is called every :data:`PROGRESS_EVERY` seconds.
    ``extra_env`` overrides :func:`go_env` (a cgo build: ``CGO_ENABLED=1`` and its flags)."""
    cmd = [find_go(), *args]
    env = {**go_env(root), **(extra_env or {})}
    if log_file is None:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:3])} ... failed:\n{proc.stderr[-4000:]}")
        return proc.stdout
    start = time.monotonic()
    with log_file.open("a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT) as child:
            while True:
                try:
                    returncode = child.wait(timeout=PROGRESS_EVERY)
                    break
                except subprocess.TimeoutExpired:
                    if progress is not None:
                        progress(time.monotonic() - start)
    if returncode != 0:
        tail = log_file.read_text()[-4000:]
        raise RuntimeError(f"go {args[0]} failed (log: {log_file}):\n{tail}")
    return ""


def download_module(path: str, version: str, root: Path, cwd: Path) -> dict[str, Any]:
    """``go mod download -json path@version``; return its JSON (Dir, GoMod, Info, ...)."""
    cwd.mkdir(parents=True, exist_ok=True)
    if not (cwd / "go.mod").exists():
        (cwd / "go.mod").write_text("module dslab.local/download\n\ngo 1.22\n")
    proc = subprocess.run([find_go(), "mod", "download", "-json", f"{path}@{version}"], cwd=cwd,
                          env=go_env(root), capture_output=True, text=True, check=False)
    info: dict[str, Any]
    try:
        info = json.loads(proc.stdout)
    except ValueError:
        info = {"Error": proc.stderr.strip() or f"exit status {proc.returncode}"}
    if info.get("Error") or proc.returncode != 0:
        raise RuntimeError(f"cannot download {path}@{version}: {info.get('Error')}")
    return info


def parse_requires(gomod: str) -> dict[str, str]:
    """Return the ``require`` directives of a go.mod text as path -> version."""
    lines: list[str] = []
    for block in re.findall(r"^require\s*\(\n(.*?)^\)", gomod, re.M | re.S):
        lines.extend(block.splitlines())
    lines.extend(re.findall(r"^require\s+([^(\s].*)$", gomod, re.M))
    result: dict[str, str] = {}
    for line in lines:
        fields = line.split("//")[0].split()
        if len(fields) == 2:
            result[fields[0]] = fields[1]
    return result


def module_origin(download: Mapping[str, Any]) -> tuple[str, str]:
    """Return (commit hash, commit time) of a downloaded module, from its .info file."""
    info = json.loads(Path(download["Info"]).read_text())
    commit = (info.get("Origin") or {}).get("Hash") or ZERO_COMMIT
    return commit, info.get("Time", "1970-01-01T00:00:00Z")


# --------------------------------------------------------------------------- openapi


def openapi_tagged_dirs(module_dir: Path, skip_top: Iterable[str] = ("vendor",)) -> list[Path]:
    """Return directories under ``module_dir`` holding a Go file with an openapi-gen tag.

    The rule follows upstream's code generation: a ``.go`` file counts when one of its lines
    starts with a ``// +k8s:`` comment tag and the file mentions ``+k8s:openapi-gen=``; files
    under ``testdata`` or ``_codegenignore`` directories (and the top-level ``skip_top``
    directories) do not count.  Packages tagged ``=false`` are kept: openapi-gen honours it.
    """
    skip = set(skip_top)
    found: set[Path] = set()
    for path in sorted(module_dir.rglob("*.go")):
        rel = path.relative_to(module_dir)
        if rel.parts[0] in skip or {"testdata", "_codegenignore"} & set(rel.parts[:-1]):
            continue
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if OPENAPI_TAG in text and re.search(r"^// *\+k8s:", text, re.M):
            found.add(path.parent)
    return sorted(found)


def import_path(module_path: str, module_dir: Path, pkg_dir: Path) -> str:
    """Return the import path of ``pkg_dir`` inside the module at ``module_dir``."""
    rel = pkg_dir.relative_to(module_dir).as_posix()
    return module_path if rel == "." else f"{module_path}/{rel}"


def openapi_packages(k8s_dir: Path, staging: Mapping[str, Path]) -> list[str]:
    """Return the import paths fed to openapi-gen for the kubernetes openapi definitions."""
    pkgs = [import_path(K8S_MODULE, k8s_dir, d)
            for d in openapi_tagged_dirs(k8s_dir, skip_top=("vendor", "staging"))]
    for module, mdir in sorted(staging.items()):
        if module in OPENAPI_EXCLUDED_MODULES:
            continue
        pkgs += [import_path(module, mdir, d) for d in openapi_tagged_dirs(mdir)]
    return sorted(set(pkgs))


def ensure_openapi(work: Path, k8s_dir: Path, staging_mods: Iterable[str], version: str,
                   root: Path, log: Log) -> Path | None:
    """Make sure the kubernetes openapi definitions exist; return a source copy dir or None.

    When the published module ships ``zz_generated.openapi.go`` (and generation is not forced
    with ``DUALSTACK_LAB_GENERATE_OPENAPI=1``) nothing is done and None is returned.  Otherwise
    the definitions are generated and a writable copy of the module source holding them is
    returned, for the wrapper to replace ``k8s.io/kubernetes`` with.
    """
    forced = os.environ.get("DUALSTACK_LAB_GENERATE_OPENAPI") == "1"
    if (k8s_dir / OPENAPI_REL).exists() and not forced:
        log(f"openapi: {OPENAPI_REL} ships with {K8S_MODULE}@{version}; no generation needed")
        return None
    generated = generate_openapi(work, k8s_dir, staging_mods, version, root, log)
    return writable_source(k8s_dir, work / "src", {OPENAPI_REL: generated}, log)


def writable_source(module_dir: Path, dest: Path, extra: Mapping[str, Path], log: Log) -> Path:
    """Copy a (read-only) module source tree to ``dest``, make it writable, add ``extra`` files
    (relative path -> file to copy); return ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    log(f"openapi: copying {module_dir.name} to {dest}")
    shutil.copytree(module_dir, dest, symlinks=True)
    for dirpath, _subdirs, files in os.walk(dest):
        os.chmod(dirpath, 0o755)
        for name in files:
            path = Path(dirpath) / name
            if not path.is_symlink():
                os.chmod(path, 0o644)
    for rel, source in extra.items():
        shutil.copyfile(source, dest / rel)
    return dest


def generate_openapi(work: Path, k8s_dir: Path, staging_mods: Iterable[str], version: str,
                     root: Path, log: Log) -> Path:
    """Generate the kubernetes openapi definitions with openapi-gen; return the generated file.

    Runs in the wrapper module ``work`` (so the kube-openapi version is the one kubernetes
    pins), writing ``work/openapi/zz_generated.openapi.go``.
    """
    out_dir = work / "openapi"
    out_dir.mkdir(parents=True, exist_ok=True)
    log_file = work / "openapi.log"
    tool = work / "tools" / "openapi-gen"
    if not tool.exists():
        log(f"openapi: building openapi-gen from {KUBE_OPENAPI_MODULE}")
        run_go(["build", "-o", str(tool), f"{KUBE_OPENAPI_MODULE}/cmd/openapi-gen"], work, root, log_file)
    staging_dirs: dict[str, Path] = {}
    for module in staging_mods:
        staging_dirs[module] = Path(download_module(module, staging_version(version), root,
                                                    work / "dl")["Dir"])
    pkgs = openapi_packages(k8s_dir, staging_dirs)
    log(f"openapi: generating definitions for {len(pkgs)} packages")
    header = out_dir / "boilerplate.go.txt"
    header.write_text("/*\nGenerated for the dualstack lab build.\n*/\n\n")
    args = ["--output-file", "zz_generated.openapi.go", "--output-dir", str(out_dir),
            "--output-pkg", OPENAPI_PKG, "--go-header-file", str(header),
            "--report-filename", str(out_dir / "api_violations.report"), *pkgs]
    with log_file.open("a") as fh:
        proc = subprocess.run([str(tool), *args], cwd=work, env=go_env(root), stdout=fh,
                              stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"openapi-gen failed, see {log_file}")
    return out_dir / "zz_generated.openapi.go"


# --------------------------------------------------------------------------- products


def stamp_path(version: str, product: str, root: Path | None = None) -> Path:
    """Return the stamp file that marks ``product`` of ``version`` as completely built."""
    return version_dir(version, root) / "stamps" / f"{product}.json"


def is_built(version: str, product: str, names: Iterable[str], root: Path | None = None) -> bool:
    """True when the product's stamp exists and every one of its executables is present."""
    bdir = bin_dir(version, root)
    return stamp_path(version, product, root).exists() and all((bdir / n).is_file() for n in names)


def write_stamp(version: str, product: str, data: Mapping[str, Any], root: Path | None = None) -> None:
    """Record a completed build of ``product`` (written last, atomically)."""
    path = stamp_path(version, product, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(data), indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def unpack_source(tarball: Path, work: Path, where: str) -> Path:
    """Unpack a release-source tarball into ``work`` (emptied first); return the directory holding its go.mod.

    ``where`` says where the tarball comes from, for the error when it is missing.
    """
    if not tarball.is_file():
        raise RuntimeError(f"{tarball} is missing: that release source comes from {where}")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(work, filter="data")
    (source,) = [p for p in work.iterdir() if (p / "go.mod").is_file()]
    return source


def prepare_wrapper(work: Path, gomod: str) -> Path:
    """Write a wrapper module (go.mod + a doc file) into ``work`` and return it.

    The rendered go.mod is also kept as ``go.mod.dslab``: ``go build -mod=mod`` adds indirect
    requirements to go.mod, so that copy tells whether the wrapper changed since last time.
    """
    work.mkdir(parents=True, exist_ok=True)
    marker = work / "go.mod.dslab"
    if not marker.exists() or marker.read_text() != gomod or not (work / "go.mod").exists():
        (work / "go.mod").write_text(gomod)
        (work / "go.sum").unlink(missing_ok=True)
        marker.write_text(gomod)
    (work / "doc.go").write_text("// Package wrapper exists only to build upstream commands.\npackage wrapper\n")
    return work


def compiled_packages(log_file: Path, offset: int = 0) -> int:
    """Count the packages ``go build -v`` has reported in ``log_file`` past ``offset``."""
    with log_file.open("rb") as fh:
        fh.seek(offset)
        lines = fh.read().decode(errors="replace").splitlines()
    return sum(1 for line in lines if line and not line.startswith(("$ ", "go: ", "#", " ", "\t")))


def go_build(work: Path, commands: tuple[tuple[str, str], ...], ldflags: str, version: str,
             root: Path, log: Log, tags: str = BUILD_TAGS) -> float:
    """Run one ``go build`` of ``commands`` into the version's bin dir; return seconds taken."""
    bdir = bin_dir(version, root)
    bdir.mkdir(parents=True, exist_ok=True)
    log_file = work / "build.log"
    names = ", ".join(name for _pkg, name in commands)
    log(f"go build {names} (log: {log_file}) ...")
    start = time.monotonic()
    offset = log_file.stat().st_size if log_file.exists() else 0

    def progress(elapsed: float) -> None:
        log(f"  ... {elapsed:.0f}s, {compiled_packages(log_file, offset)} packages compiled so far")

    run_go(go_build_args(commands, bdir, ldflags, tags), work, root, log_file, progress)
    for pkg, name in commands:
        produced = bdir / go_output_name(pkg)
        if produced.name != name and produced.is_file():
            produced.replace(bdir / name)
        if not (bdir / name).is_file():
            raise RuntimeError(f"go build did not produce {name} ({pkg})")
    took = time.monotonic() - start
    log(f"built {names} in {took:.0f}s")
    return took


def build_kubernetes(version: str, root: Path, log: Log) -> dict[str, str]:
    """Build the kubernetes commands of ``version``; return kubeadm's component versions."""
    work = version_dir(version, root) / "work" / "kubernetes"
    log(f"fetching {K8S_MODULE}@{version} through the Go proxy")
    k8s = download_module(K8S_MODULE, version, root, work.parent / "dl")
    k8s_dir = Path(k8s["Dir"])
    k8s_gomod = Path(k8s["GoMod"]).read_text()
    prepare_wrapper(work, kube_wrapper_gomod(k8s_gomod, version))
    source = ensure_openapi(work, k8s_dir, required_staging_modules(k8s_gomod), version, root, log)
    if source is not None:
        prepare_wrapper(work, kube_wrapper_gomod(k8s_gomod, version, "./" + source.name))
    commit, date = module_origin(k8s)
    took = go_build(work, KUBE_COMMANDS, kube_version_ldflags(version, commit, date), version,
                    root, log)
    components = kubeadm_component_versions((k8s_dir / "cmd/kubeadm/app/constants/constants.go").read_text())
    write_stamp(version, "kubernetes", {"version": version, "commit": commit, "seconds": round(took),
                                        "openapi_generated": source is not None,
                                        "components": components}, root)
    return components


def parse_agnhost_version(text: str) -> str:
    """Return the agnhost image tag of ``test/images/agnhost/VERSION`` (e.g. ``2.56``)."""
    tag = text.strip()
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?", tag):
        raise ValueError(f"not an agnhost version: {tag!r}")
    return tag


def build_agnhost(version: str, root: Path, log: Log) -> str:
    """Build upstream's e2e ``agnhost`` from the kubernetes module of ``version``; return its
    image tag (the module's ``test/images/agnhost/VERSION``).

    It uses a wrapper module of its own (the same go.mod as the kubernetes one), static,
    ``-ldflags "-s -w -X main.Version=<tag>"`` as upstream's Makefile sets it.
    """
    work = version_dir(version, root) / "work" / "agnhost"
    k8s = download_module(K8S_MODULE, version, root, work.parent / "dl")
    k8s_dir = Path(k8s["Dir"])
    tag = parse_agnhost_version((k8s_dir / AGNHOST_REL / "VERSION").read_text())
    prepare_wrapper(work, kube_wrapper_gomod(Path(k8s["GoMod"]).read_text(), version))
    took = go_build(work, AGNHOST_COMMANDS, simple_ldflags(AGNHOST_VERSION_VAR, tag), version, root, log)
    write_stamp(version, "agnhost", {"version": tag, "seconds": round(took)}, root)
    return tag


def agnhost_tag(version: str, root: Path) -> str:
    """Return the agnhost tag of ``version``: from its build stamp, else the module's VERSION."""
    stamp = stamp_path(version, "agnhost", root)
    if stamp.exists():
        tag = json.loads(stamp.read_text()).get("version")
        if tag:
            return str(tag)
    k8s = download_module(K8S_MODULE, version, root, version_dir(version, root) / "work" / "dl")
    return parse_agnhost_version((Path(k8s["Dir"]) / AGNHOST_REL / "VERSION").read_text())


def kube_components(version: str, root: Path) -> dict[str, str]:
    """Return kubeadm's etcd/CoreDNS/pause versions recorded at build time (or read them)."""
    stamp = stamp_path(version, "kubernetes", root)
    if stamp.exists():
        comps = json.loads(stamp.read_text()).get("components")
        if comps:
            return {str(k): str(v) for k, v in comps.items()}
    k8s = download_module(K8S_MODULE, version, root, version_dir(version, root) / "work" / "dl")
    return kubeadm_component_versions((Path(k8s["Dir"]) / "cmd/kubeadm/app/constants/constants.go").read_text())


def build_etcd(version: str, etcd_version: str, root: Path, log: Log) -> None:
    """Build etcd and etcdctl at ``etcd_version`` (e.g. v3.6.5) into the version's bin dir."""
    work = version_dir(version, root) / "work" / "etcd"
    log(f"fetching {ETCD_SERVER_MODULE}@{etcd_version} through the Go proxy")
    server = download_module(ETCD_SERVER_MODULE, etcd_version, root, work.parent / "dl")
    replaces = sibling_replaces(Path(server["GoMod"]).read_text(), "../", etcd_version)
    gomod = wrapper_gomod("dslab.local/build/etcd", parse_go_directive(Path(server["GoMod"]).read_text()),
                          {ETCD_SERVER_MODULE: etcd_version, ETCDCTL_MODULE: etcd_version}, replaces)
    prepare_wrapper(work, gomod)
    commit = module_origin(server)[0]
    sha = commit[:8] if commit != ZERO_COMMIT else etcd_version
    took = go_build(work, ETCD_COMMANDS, simple_ldflags(ETCD_VERSION_VAR, sha), version, root, log)
    write_stamp(version, "etcd", {"version": etcd_version, "seconds": round(took)}, root)


def build_coredns(version: str, coredns_version: str, root: Path, log: Log) -> None:
    """Build CoreDNS at ``coredns_version`` into the version's bin dir."""
    work = version_dir(version, root) / "work" / "coredns"
    log(f"fetching {COREDNS_MODULE}@{coredns_version} through the Go proxy")
    mod = download_module(COREDNS_MODULE, coredns_version, root, work.parent / "dl")
    gomod_text = Path(mod["GoMod"]).read_text()
    gomod = wrapper_gomod("dslab.local/build/coredns", parse_go_directive(gomod_text),
                          {COREDNS_MODULE: coredns_version}, {})
    prepare_wrapper(work, gomod)
    commit = module_origin(mod)[0]
    took = go_build(work, COREDNS_COMMANDS, simple_ldflags(COREDNS_VERSION_VAR, commit[:7]),
                    version, root, log)
    write_stamp(version, "coredns", {"version": coredns_version, "seconds": round(took)}, root)


def release_minor(version: str) -> int:
    """The minor of a Kubernetes release: ``v1.37.2`` -> 37 (pre-releases included)."""
    match = re.fullmatch(r"v1\.(\d+)\.\d+.*", version)
    if not match:
        raise ValueError(f"not a Kubernetes release version: {version!r}")
    return int(match.group(1))


def needs_containerd2(version: str) -> bool:
    """True for the releases that need containerd 2.x (1.36 and newer, pre-releases included)."""
    return release_minor(version) >= CONTAINERD2_FROM_MINOR


def containerd_ldflags(containerd_version: str, commit: str) -> str:
    """Return ``-ldflags`` for containerd as upstream's Makefile sets them (GO_LDFLAGS), stripped."""
    pkg = CONTAINERD_MODULE
    return (f"-s -w -X {pkg}/version.Version={containerd_version} -X {pkg}/version.Revision={commit} "
            f"-X {pkg}/version.Package={pkg}")


def build_containerd(version: str, root: Path, log: Log) -> None:
    """Build containerd, ctr and the runc shim at :data:`CONTAINERD_VERSION` into the version's bin dir."""
    work = version_dir(version, root) / "work" / "containerd"
    log(f"fetching {CONTAINERD_MODULE}@{CONTAINERD_VERSION} through the Go proxy")
    mod = download_module(CONTAINERD_MODULE, CONTAINERD_VERSION, root, work.parent / "dl")
    gomod = wrapper_gomod("dslab.local/build/containerd", parse_go_directive(Path(mod["GoMod"]).read_text()),
                          {CONTAINERD_MODULE: CONTAINERD_VERSION}, {})
    prepare_wrapper(work, gomod)
    commit = module_origin(mod)[0]  # the proxy's .info of v2.4.2 names no commit: say the version then
    ldflags = containerd_ldflags(CONTAINERD_VERSION, commit if commit != ZERO_COMMIT else CONTAINERD_VERSION)
    took = go_build(work, CONTAINERD_COMMANDS, ldflags, version, root, log, CONTAINERD_TAGS)
    took += go_build(work, CONTAINERD_SHIM_COMMANDS, ldflags, version, root, log, CONTAINERD_SHIM_TAGS)
    write_stamp(version, "containerd", {"version": CONTAINERD_VERSION, "seconds": round(took)}, root)


@contextlib.contextmanager
def build_lock(root: Path, log: Log) -> Iterator[None]:
    """Hold ``<cache>/build.lock`` (flock) so that two lab processes never run Go builds (or
    write the same images) at once; says so when it has to wait."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / "build.lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another lab build to finish ({root / 'build.lock'})")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def missing_products(version: str, root: Path) -> list[str]:
    """Return the products of ``version`` that are not completely built yet."""
    products = [("kubernetes", KUBE_COMMANDS), ("etcd", ETCD_COMMANDS), ("agnhost", AGNHOST_COMMANDS)]
    if os.environ.get("DUALSTACK_LAB_SKIP_COREDNS") != "1":
        products.append(("coredns", COREDNS_COMMANDS))
    if needs_containerd2(version):
        products.append(("containerd", CONTAINERD_COMMANDS + CONTAINERD_SHIM_COMMANDS))
    return [name for name, commands in products
            if not is_built(version, name, [n for _pkg, n in commands], root)]


def ensure_binaries(version: str | None = None, *, log: Log = print) -> Path:
    """Return a directory with the lab's executables for ``version``, building what is missing.

    The directory holds kubeadm, kubelet, kube-apiserver, kube-controller-manager,
    kube-scheduler, kube-proxy, kubectl, etcd, etcdctl, coredns and agnhost (and containerd, ctr,
    containerd-shim-runc-v2 for the releases of :func:`needs_containerd2`).  Each product is rebuilt
    only when its stamp or one of its executables is missing.  A cold build takes about ten
    minutes on two cores.  Set ``DUALSTACK_LAB_SKIP_COREDNS=1`` to leave CoreDNS out.
    """
    version = version or DEFAULT_VERSION
    root = cache_root()
    bdir = bin_dir(version, root)
    if missing_products(version, root):
        with build_lock(root, log):
            missing = missing_products(version, root)  # another process may have built them
            if "kubernetes" in missing:
                build_kubernetes(version, root, log)
            comps = kube_components(version, root)
            if "etcd" in missing:
                build_etcd(version, etcd_module_version(comps["etcd"]), root, log)
            if "coredns" in missing:
                build_coredns(version, comps["coredns"], root, log)
            if "agnhost" in missing:
                build_agnhost(version, root, log)
            if "containerd" in missing:
                build_containerd(version, root, log)
    log(f"binaries for {version} ready in {bdir}")
    return bdir
