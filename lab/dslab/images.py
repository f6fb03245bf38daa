"""Container images for the lab, written locally as docker-archive tarballs.

No registry is reachable and no image builder runs here, so every image the cluster pulls is
assembled by this module from local files with :mod:`tarfile`, :mod:`json` and :mod:`hashlib`:

* ``registry.k8s.io/kube-apiserver``, ``-controller-manager``, ``-scheduler`` (binary in
  ``/usr/local/bin``, on ``PATH``: kubeadm's static pod manifests call it by name);
* ``registry.k8s.io/etcd`` (``/usr/local/bin/etcd`` and ``etcdctl``);
* ``registry.k8s.io/kube-proxy`` with Debian's iptables (nf_tables backend) and conntrack;
* ``registry.k8s.io/coredns/coredns`` (``/coredns``) when CoreDNS was built;
* ``registry.k8s.io/pause`` from ``lab/images/pause.c`` compiled with ``gcc -static``;
* ``registry.k8s.io/e2e-test-images/agnhost:<tag>``: upstream's e2e test program built from
  ``test/images/agnhost`` of the pinned kubernetes module, tagged with that directory's
  ``VERSION`` (2.56 for 1.34), under the very name upstream's e2e suite pulls, so that the
  verify role's default image is present on the lab's nodes.  Entrypoint ``/agnhost`` and
  command ``pause`` as upstream's Dockerfile; upstream's image is alpine with bind-tools, curl
  and netcat, the lab's carries Debian's static busybox applets instead, so ``sh``, ``nc``,
  ``nslookup`` (``-type=a``/``-type=aaaa``) and ``cat`` exist in both;
* ``dualstack.lab/testbox:1``, Debian's static busybox with every applet linked, serving HTTP
  on port 8080 by default (``/www``; ``/cgi-bin/whoami`` answers the pod's hostname and the
  client's address).  Its entrypoint ``/init`` is the pause program in init mode: it runs the
  command (``Cmd``, i.e. a pod's ``args``) as its child and passes SIGTERM on, so pods stop at
  once; a pod that sets ``command`` replaces it, and a shell as PID 1 then ignores SIGTERM.

Format: the ``docker save`` layout (``manifest.json`` with ``RepoTags``, the config and the
uncompressed layers stored as ``blobs/sha256/<hex>``), which ``ctr -n k8s.io images import``
of containerd 1.6 imports under the tagged name.  Layers are written with sorted members,
mtime 0 and root ownership, so a rebuild from the same inputs gives the same digests.

The kube-proxy image also carries ``nft`` (Debian's nftables), which kube-proxy's nftables mode
needs and which its iptables mode uses, when present, to clean up nftables-mode leftovers, and
netbase's ``/etc/protocols`` and ``/etc/services``, without which ``nft --json`` lists protocols
by number and kube-proxy's nftables mode emptied its own maps in every full sync (NETBASE_FILES).
For IPVS mode it carries Debian's ``ipset`` (kube-proxy runs it) and ``ipvsadm`` (to read the table).

iptables backend in the kube-proxy image: ``iptables``, ``ip6tables`` and their ``-save`` /
``-restore`` commands are links to ``xtables-nft-multi``, i.e. the nf_tables backend that
Debian 12 (the nodes' rootfs) selects by default.  kube-proxy (iptables mode) runs those
commands by name and does not pick a backend itself; upstream images ship a wrapper that
guesses the host's backend, which the lab does not need as its nodes are always Debian 12.
The ``-legacy`` variants are included too for debugging.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Mapping

from dslab import build

Log = Callable[[str], None]

REGISTRY = "registry.k8s.io"
#: Upstream's e2e test image repository (test/utils/image/manifest.go: PromoterE2eRegistry).
AGNHOST_REPOSITORY = f"{REGISTRY}/e2e-test-images/agnhost"
#: Ports upstream's agnhost Dockerfile exposes.
AGNHOST_PORTS = ("80/tcp", "8080/tcp", "8081/tcp", "9376/tcp", "5000/tcp")
TESTBOX_REF = "dualstack.lab/testbox:1"
PAUSE_SOURCE = Path(__file__).resolve().parent.parent / "images" / "pause.c"

#: kubeadm's etcd / CoreDNS / pause versions for releases already looked at, so that
#: :func:`image_refs` needs no download for them; other releases read kubeadm's constants.
KNOWN_COMPONENTS: dict[str, dict[str, str]] = {
    "v1.34.12": {"etcd": "3.6.5-0", "coredns": "v1.12.1", "pause": "3.10.1", "agnhost": "2.56"},
    "v1.37.2": {"etcd": "3.7.0-0", "coredns": "v1.14.6", "pause": "3.10.2", "agnhost": "2.66.1"},
}

BASE_ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IPTABLES_COMMANDS = ("iptables", "iptables-save", "iptables-restore",
                     "ip6tables", "ip6tables-save", "ip6tables-restore")
#: ``ipset``: kube-proxy's IPVS mode runs it (pkg/proxy/ipvs/ipset); ``ipvsadm``: to read the IPVS table it made.
HOST_IPTABLES_FILES = ("/usr/sbin/xtables-nft-multi", "/usr/sbin/xtables-legacy-multi",
                       "/usr/sbin/conntrack", "/usr/sbin/nft", "/usr/sbin/ipset", "/usr/sbin/ipvsadm")
#: netbase's name tables. Without /etc/protocols, ``nft --json list map`` prints a protocol as its number
#: (``10.96.0.10 . 6 . 53``) while kube-proxy writes its name (``tcp``): in each full sync (its start, then
#: hourly) kube-proxy 1.37's nftables mode took the listed elements for leftovers and deleted them, leaving the
#: node's ``service-ips`` map empty ("connection refused" from every ClusterIP) until the next full sync.
NETBASE_FILES = ("/etc/protocols", "/etc/services")
XTABLES_DIR = "/usr/lib/x86_64-linux-gnu/xtables"
BUSYBOX = "/bin/busybox"
#: Host files the images are made from, and the Debian packages that provide them.
HOST_REQUIREMENTS = {
    "/usr/sbin/xtables-nft-multi": "iptables",
    "/usr/sbin/conntrack": "conntrack",
    "/usr/sbin/nft": "nftables",
    "/usr/sbin/ipset": "ipset",
    "/usr/sbin/ipvsadm": "ipvsadm",
    "/etc/protocols": "netbase",
    BUSYBOX: "busybox-static",
    "/usr/bin/gcc": "gcc",
    "/usr/lib/x86_64-linux-gnu/libc.a": "libc6-dev",
}
FIXED_CREATED = "1970-01-01T00:00:00Z"


# --------------------------------------------------------------------------- refs


def components(version: str) -> dict[str, str]:
    """Return kubeadm's etcd, CoreDNS and pause versions and the agnhost tag for a release."""
    if version in KNOWN_COMPONENTS:
        return dict(KNOWN_COMPONENTS[version])
    comps = build.kube_components(version, build.cache_root())
    comps.setdefault("agnhost", build.agnhost_tag(version, build.cache_root()))
    return comps


def image_refs(version: str | None = None) -> dict[str, str]:
    """Return role -> image reference, exactly as kubeadm of ``version`` expects them.

    Roles: kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd,
    coredns, pause, agnhost, testbox.
    """
    version = version or build.DEFAULT_VERSION
    comps = components(version)
    refs = {name: f"{REGISTRY}/{name}:{version}" for name in
            ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")}
    refs["coredns"] = f"{REGISTRY}/coredns/coredns:{comps['coredns']}"
    refs["pause"] = f"{REGISTRY}/pause:{comps['pause']}"
    refs["etcd"] = f"{REGISTRY}/etcd:{comps['etcd']}"
    refs["agnhost"] = f"{AGNHOST_REPOSITORY}:{comps['agnhost']}"
    refs["testbox"] = TESTBOX_REF
    return refs


def tarball_name(ref: str) -> str:
    """Return a file name for an image reference: ``registry.k8s.io/pause:3.10.1`` ->
    ``registry.k8s.io_pause_3.10.1.tar``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", ref) + ".tar"


# --------------------------------------------------------------------------- layers


@dataclass(frozen=True)
class Entry:
    """One member of a layer: a directory, a regular file (data or host source) or a symlink."""

    kind: str  # "dir", "file" or "symlink"
    mode: int = 0o755
    data: bytes | None = None
    source: Path | None = None
    target: str = ""
    uid: int = 0  # owner (and group) id


@dataclass
class Layer:
    """A filesystem layer being assembled; paths are absolute POSIX paths inside the image."""

    entries: dict[str, Entry] = field(default_factory=dict)

    def _parents(self, path: str) -> None:
        for parent in reversed(PurePosixPath(path).parents):
            key = str(parent)
            if key != "/" and key not in self.entries:
                self.entries[key] = Entry("dir", 0o755)

    def add_dir(self, path: str, mode: int = 0o755) -> None:
        """Add a directory (and its parents)."""
        self._parents(path)
        self.entries[path] = Entry("dir", mode)

    def add_bytes(self, path: str, data: bytes, mode: int = 0o644, uid: int = 0) -> None:
        """Add a regular file with the given content (owned by ``uid``)."""
        self._parents(path)
        self.entries[path] = Entry("file", mode, data=data, uid=uid)

    def add_file(self, path: str, source: Path, mode: int | None = None) -> None:
        """Add a regular file copied from the host (mode taken from the host unless given)."""
        self._parents(path)
        perm = mode if mode is not None else (source.stat().st_mode & 0o7777)
        self.entries[path] = Entry("file", perm, source=source)

    def add_symlink(self, path: str, target: str) -> None:
        """Add a symbolic link ``path -> target``."""
        self._parents(path)
        self.entries[path] = Entry("symlink", 0o777, target=target)

    def add_host_path(self, host_path: str) -> None:
        """Copy a host file into the same path, recreating every symlink met on the way.

        ``/lib/x86_64-linux-gnu/libc.so.6`` on merged-/usr Debian becomes the link ``/lib ->
        usr/lib`` plus the file under ``/usr/lib``, so the dynamic loader finds it either way.
        """
        parts = PurePosixPath(host_path).parts[1:]
        current = PurePosixPath("/")
        for index, part in enumerate(parts):
            current = current / part
            real = Path(str(current))
            if real.is_symlink():
                target = os.readlink(real)
                self._parents(str(current))
                if str(current) not in self.entries or self.entries[str(current)].kind != "symlink":
                    self.entries[str(current)] = Entry("symlink", 0o777, target=target)
                rest = PurePosixPath(*parts[index + 1:]) if index + 1 < len(parts) else None
                resolved = (current.parent / target) if not target.startswith("/") else PurePosixPath(target)
                self.add_host_path(os.path.normpath(str(resolved / rest if rest else resolved)))
                return
        real = Path(host_path)
        if real.is_dir():
            self.add_dir(host_path, real.stat().st_mode & 0o7777)
        else:
            self.add_file(host_path, real)

    def add_host_tree(self, host_dir: str) -> None:
        """Copy a host directory tree (files and symlinks) into the same path."""
        self.add_host_path(host_dir)
        for path in sorted(Path(host_dir).rglob("*")):
            if path.is_symlink():
                self.add_symlink(str(path), os.readlink(path))
            elif path.is_dir():
                self.add_dir(str(path), path.stat().st_mode & 0o7777)
            else:
                self.add_file(str(path), path)


def _tarinfo(name: str, entry: Entry, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = entry.uid
    info.uname = info.gname = ""
    info.mode = entry.mode
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif entry.kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = entry.target
    else:
        info.type = tarfile.REGTYPE
        info.size = size
    return info


def layer_tar(layer: Layer) -> bytes:
    """Serialize a layer as a deterministic, uncompressed tar (members sorted, mtime 0)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(layer.entries):
            entry = layer.entries[path]
            name = path.lstrip("/")
            if entry.kind == "file":
                data = entry.data if entry.data is not None else entry.source.read_bytes()  # type: ignore[union-attr]
                tar.addfile(_tarinfo(name, entry, len(data)), io.BytesIO(data))
            else:
                tar.addfile(_tarinfo(name, entry))
    return buf.getvalue()


def sha256_hex(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- image archive


@dataclass
class ImageSpec:
    """What goes into one image: its reference, layers and runtime configuration."""

    ref: str
    layers: list[Layer]
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    env: list[str] = field(default_factory=lambda: [f"PATH={BASE_ENV_PATH}"])
    workdir: str = "/"
    user: str = ""
    exposed_ports: list[str] = field(default_factory=list)


def image_config(spec: ImageSpec, diff_ids: list[str]) -> dict[str, Any]:
    """Return the image configuration JSON (amd64/linux) for ``spec`` with its layers' diff ids."""
    config: dict[str, Any] = {"Env": list(spec.env), "WorkingDir": spec.workdir}
    if spec.entrypoint is not None:
        config["Entrypoint"] = list(spec.entrypoint)
    if spec.cmd is not None:
        config["Cmd"] = list(spec.cmd)
    if spec.user:
        config["User"] = spec.user
    if spec.exposed_ports:
        config["ExposedPorts"] = {port: {} for port in spec.exposed_ports}
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": FIXED_CREATED,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{d}" for d in diff_ids]},
        "history": [{"created": FIXED_CREATED, "created_by": "dslab.images"} for _diff in diff_ids],
    }


def _canonical_json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def archive_members(spec: ImageSpec) -> tuple[dict[str, bytes], str]:
    """Return (archive member name -> content, config digest hex) of an image's tarball."""
    members: dict[str, bytes] = {}
    layer_paths: list[str] = []
    diff_ids: list[str] = []
    for layer in spec.layers:
        blob = layer_tar(layer)
        digest = sha256_hex(blob)
        diff_ids.append(digest)
        layer_paths.append(f"blobs/sha256/{digest}")
        members[f"blobs/sha256/{digest}"] = blob
    config = _canonical_json(image_config(spec, diff_ids))
    config_digest = sha256_hex(config)
    members[f"blobs/sha256/{config_digest}"] = config
    manifest = [{"Config": f"blobs/sha256/{config_digest}", "RepoTags": [spec.ref],
                 "Layers": layer_paths}]
    members["manifest.json"] = _canonical_json(manifest)
    return members, config_digest


def write_archive(spec: ImageSpec, dest: Path) -> str:
    """Write ``spec`` as a docker-archive tarball at ``dest`` (atomically); return config digest."""
    members, config_digest = archive_members(spec)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    with tarfile.open(tmp, mode="w", format=tarfile.GNU_FORMAT) as tar:
        dirs = sorted({str(PurePosixPath(n).parent) for n in members if "/" in n} |
                      {"blobs"})
        for d in dirs:
            tar.addfile(_tarinfo(d, Entry("dir", 0o755)))
        for name in sorted(members):
            data = members[name]
            tar.addfile(_tarinfo(name, Entry("file", 0o644), len(data)), io.BytesIO(data))
    tmp.replace(dest)
    return config_digest


# --------------------------------------------------------------------------- image contents


def base_layer() -> Layer:
    """Return the layer shared by every image: /etc basics, /tmp, /run, /var/run."""
    layer = Layer()
    layer.add_bytes("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
                                   b"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    layer.add_bytes("/etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    layer.add_bytes("/etc/nsswitch.conf", b"hosts: files dns\n")
    layer.add_dir("/tmp", 0o1777)
    layer.add_dir("/root", 0o700)
    layer.add_dir("/run", 0o755)
    layer.add_symlink("/var/run", "../run")
    return layer


def binary_layer(binaries: Mapping[str, Path]) -> Layer:
    """Return a layer holding host executables at the given image paths (mode 0755)."""
    layer = Layer()
    for path, source in sorted(binaries.items()):
        layer.add_file(path, source, 0o755)
    return layer


def iptables_layer(host_files: Iterable[str] = HOST_IPTABLES_FILES,
                   xtables_dir: str = XTABLES_DIR) -> Layer:
    """Return a layer with Debian's iptables (nft backend by default), conntrack and their libs."""
    layer = Layer()
    libs: set[str] = set()
    for path in host_files:
        layer.add_host_path(path)
        libs |= shared_libraries(path)
    for path in NETBASE_FILES:
        layer.add_host_path(path)
    layer.add_host_tree(xtables_dir)
    for module in sorted(Path(xtables_dir).glob("*.so")):
        libs |= shared_libraries(str(module))
    for lib in sorted(libs):
        layer.add_host_path(lib)
    for command in IPTABLES_COMMANDS:
        layer.add_symlink(f"/usr/sbin/{command}", "xtables-nft-multi")
        family, _sep, suffix = command.partition("-")
        layer.add_symlink(f"/usr/sbin/{family}-nft{'-' + suffix if suffix else ''}", "xtables-nft-multi")
        layer.add_symlink(f"/usr/sbin/{family}-legacy{'-' + suffix if suffix else ''}",
                          "xtables-legacy-multi")
    layer.add_dir("/var/lib/kube-proxy")
    return layer


def shared_libraries(executable: str) -> set[str]:
    """Return the absolute paths of the shared libraries ``ldd`` lists for ``executable``."""
    proc = subprocess.run(["ldd", executable], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return set()
    return parse_ldd(proc.stdout)


def parse_ldd(output: str) -> set[str]:
    """Parse ``ldd`` output into the set of absolute library paths (vdso excluded)."""
    paths: set[str] = set()
    for line in output.splitlines():
        line = line.strip()
        if "=>" in line:
            target = line.split("=>", 1)[1].strip().split(" (")[0].strip()
            if target.startswith("/"):
                paths.add(target)
        elif line.startswith("/"):
            paths.add(line.split(" (")[0].strip())
    return paths


def busybox_applets(busybox: str = BUSYBOX) -> list[str]:
    """Return the applet names of a busybox binary (``busybox --list``)."""
    out = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout
    return sorted(name for name in out.split() if name and name != "busybox")


TESTBOX_INDEX = b"dualstack lab testbox\n"
TESTBOX_CGI = b"""#!/bin/sh
echo "Content-Type: text/plain"
echo
echo "host: $(hostname)"
echo "client: $REMOTE_ADDR"
"""


def testbox_layer(busybox: Path, applets: Iterable[str], init: Path | None = None) -> Layer:
    """Return the testbox layer: /bin/busybox, one link per applet, an httpd document root.

    ``init`` (the lab's pause program, which runs a given command as a minimal init) goes to
    ``/init``, the image's entrypoint, so the default command stops promptly on SIGTERM.
    """
    layer = Layer()
    layer.add_file("/bin/busybox", busybox, 0o755)
    if init is not None:
        layer.add_file("/init", init, 0o755)
    for applet in applets:
        layer.add_symlink(f"/bin/{applet}", "busybox")
    layer.add_bytes("/www/index.html", TESTBOX_INDEX)
    layer.add_bytes("/www/cgi-bin/whoami", TESTBOX_CGI, 0o755)
    return layer


def agnhost_layer(agnhost: Path, busybox: Path, applets: Iterable[str]) -> Layer:
    """Return the agnhost layer: ``/agnhost`` (and upstream's ``/agnhost-2`` link), ``/uploads``
    (netexec's upload directory), upstream's ``user-defined-in-image`` user and group, and
    ``/bin/busybox`` with one link per applet (``sh``, ``nc``, ``nslookup``, ``cat``, ...)."""
    layer = Layer()
    layer.add_file("/agnhost", agnhost, 0o755)
    layer.add_symlink("/agnhost-2", "agnhost")
    layer.add_dir("/uploads")
    layer.add_bytes("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
                                   b"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
                                   b"user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh\n")
    layer.add_bytes("/etc/group", b"root:x:0:\nnogroup:x:65534:\nuser-defined-in-image:x:1000:\n"
                                  b"group-defined-in-image:x:50000:user-defined-in-image\n")
    layer.add_file("/bin/busybox", busybox, 0o755)
    for applet in applets:
        layer.add_symlink(f"/bin/{applet}", "busybox")
    return layer


def compile_pause(dest: Path, source: Path = PAUSE_SOURCE) -> Path:
    """Compile ``pause.c`` statically (``gcc -static -Os -s``) to ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    subprocess.run(["gcc", "-static", "-Os", "-s", "-o", str(tmp), str(source)], check=True)
    tmp.replace(dest)
    return dest


ROLES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kube-proxy",
         "coredns", "pause", "agnhost", "testbox")


def image_spec(role: str, ref: str, bin_dir: Path, pause_bin: Path) -> ImageSpec | None:
    """Return the spec of the lab image for ``role`` (None for CoreDNS or agnhost when not built)."""
    base = base_layer()
    if role in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        return ImageSpec(ref, [base, binary_layer({f"/usr/local/bin/{role}": bin_dir / role})],
                         entrypoint=[f"/usr/local/bin/{role}"])
    if role == "etcd":
        return ImageSpec(ref, [base, binary_layer({"/usr/local/bin/etcd": bin_dir / "etcd",
                                                   "/usr/local/bin/etcdctl": bin_dir / "etcdctl"})],
                         entrypoint=["/usr/local/bin/etcd"], exposed_ports=["2379/tcp", "2380/tcp"])
    if role == "kube-proxy":
        return ImageSpec(ref, [base, iptables_layer(),
                               binary_layer({"/usr/local/bin/kube-proxy": bin_dir / "kube-proxy"})],
                         entrypoint=["/usr/local/bin/kube-proxy"])
    if role == "coredns":
        if not (bin_dir / "coredns").is_file():
            return None
        return ImageSpec(ref, [base, binary_layer({"/coredns": bin_dir / "coredns"})],
                         entrypoint=["/coredns"], exposed_ports=["53/tcp", "53/udp"])
    if role == "pause":
        return ImageSpec(ref, [binary_layer({"/pause": pause_bin})], entrypoint=["/pause"],
                         env=["PATH=/"], user="65535:65535")
    if role == "agnhost":
        if not (bin_dir / "agnhost").is_file():
            return None
        return ImageSpec(ref, [base, agnhost_layer(bin_dir / "agnhost", Path(BUSYBOX), busybox_applets())],
                         entrypoint=["/agnhost"], cmd=["pause"], exposed_ports=list(AGNHOST_PORTS))
    if role == "testbox":
        return ImageSpec(ref, [base, testbox_layer(Path(BUSYBOX), busybox_applets(), pause_bin)],
                         entrypoint=["/init"],
                         cmd=["httpd", "-f", "-vv", "-p", "8080", "-h", "/www"],
                         env=["PATH=/bin"], exposed_ports=["8080/tcp"])
    raise ValueError(f"unknown image role {role!r}")


def inputs_fingerprint(version: str, sources: Iterable[Path] | None = None) -> str:
    """Return a digest of what the images are made from: this module, pause.c and the
    binaries' build stamps.  When it changes, :func:`ensure_images` rebuilds every image."""
    digest = hashlib.sha256(version.encode())
    paths = list(sources) if sources is not None else [
        Path(__file__), PAUSE_SOURCE, *sorted(build.version_dir(version).glob("stamps/*.json"))]
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


def check_host(requirements: Mapping[str, str] | None = None) -> None:
    """Raise RuntimeError naming the apt packages to install when host files are missing."""
    if requirements is None:
        requirements = HOST_REQUIREMENTS
    missing = sorted({pkg for path, pkg in requirements.items() if not Path(path).exists()})
    if missing:
        raise RuntimeError("building the lab images needs Debian packages: "
                           f"apt-get install -y {' '.join(missing)}")


def images_dir(version: str) -> Path:
    """Return ``<cache>/<version>/images``."""
    return build.version_dir(version) / "images"


def ensure_images(version: str | None = None, *, log: Log = print) -> dict[str, Path]:
    """Return image reference -> docker-archive tarball for every lab image of ``version``.

    Builds the binaries first if needed (:func:`dslab.build.ensure_binaries`).  Tarballs that
    already exist are kept while :func:`inputs_fingerprint` is unchanged; otherwise they are
    all rebuilt.  Import one with ``ctr -n k8s.io images import <tar>``.
    """
    version = version or build.DEFAULT_VERSION
    bins = build.ensure_binaries(version, log=log)
    out_dir = images_dir(version)
    if not images_current(version, bins, out_dir):
        with build.build_lock(build.cache_root(), log):
            write_images(version, bins, out_dir, log)
    refs = image_refs(version)
    result = {refs[role]: out_dir / tarball_name(refs[role]) for role in ROLES
              if (out_dir / tarball_name(refs[role])).exists()}
    log(f"{len(result)} images ready in {out_dir}")
    return result


def wanted_roles(bins: Path) -> list[str]:
    """Return the image roles to build: all of :data:`ROLES`, CoreDNS and agnhost only if built."""
    return [role for role in ROLES if role not in ("coredns", "agnhost") or (bins / role).is_file()]


def images_current(version: str, bins: Path, out_dir: Path) -> bool:
    """True when every wanted tarball exists and was made from the current inputs."""
    stamp = out_dir / "inputs.sha256"
    if not stamp.exists() or stamp.read_text().strip() != inputs_fingerprint(version):
        return False
    refs = image_refs(version)
    return all((out_dir / tarball_name(refs[role])).exists() for role in wanted_roles(bins))


def write_images(version: str, bins: Path, out_dir: Path, log: Log) -> None:
    """Write the missing (or outdated) image tarballs of ``version`` into ``out_dir``."""
    fingerprint = inputs_fingerprint(version)
    stamp = out_dir / "inputs.sha256"
    if not stamp.exists() or stamp.read_text().strip() != fingerprint:
        if list(out_dir.glob("*.tar")):
            log("image inputs changed: rebuilding the images")
        for old in out_dir.glob("*.tar"):
            old.unlink()
        (out_dir / "work" / "pause").unlink(missing_ok=True)
    check_host()
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n")
    pause_bin = out_dir / "work" / "pause"
    if not pause_bin.exists():
        compile_pause(pause_bin)
    refs = image_refs(version)
    for role in wanted_roles(bins):
        dest = out_dir / tarball_name(refs[role])
        if not dest.exists():
            spec = image_spec(role, refs[role], bins, pause_bin)
            if spec is None:
                continue
            log(f"image {spec.ref} -> {dest}")
            write_archive(spec, dest)


def write_specs(specs: Iterable[ImageSpec], out_dir: Path, fingerprint: str, log: Log) -> dict[str, Path]:
    """Write each spec's tarball into ``out_dir`` unless it was made from ``fingerprint``; return ref -> tarball.

    Used by the real CNIs' images (``dslab.flannel``, ``dslab.calico``): each tarball has a
    ``.inputs`` file beside it holding the fingerprint it was made from.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {}
    for spec in specs:
        dest = out_dir / tarball_name(spec.ref)
        mark = dest.with_suffix(".inputs")
        if not dest.exists() or not mark.exists() or mark.read_text() != fingerprint:
            write_archive(spec, dest)
            mark.write_text(fingerprint)
            log(f"wrote image {spec.ref}")
        result[spec.ref] = dest
    return result
