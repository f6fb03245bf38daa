"""The lab's Calico mode: real calico-node (Felix, VXLAN), its CNI plugin and IPAM, from source.

``DUALSTACK_LAB_CNI=calico dslab up`` builds the usual kubeadm cluster without the lab's own pod
network and deploys the published ``manifests/calico.yaml`` of Calico :data:`CALICO_VERSION`
(the manifest install, not the operator), changed only where Calico's documentation tells a
user to change it for VXLAN without BGP:

* ``calico_backend: vxlan`` in ``calico-config`` (no BIRD, no confd);
* the default pool: ``CALICO_IPV4POOL_CIDR`` = the lab's pod subnet, ``CALICO_IPV4POOL_IPIP``
  ``Never``, ``CALICO_IPV4POOL_VXLAN`` ``Always``;
* ``-bird-live`` / ``-bird-ready`` removed from calico-node's probes.

Calico's IPAM hands out blocks from its IPPools and ignores the Nodes' podCIDRs, so this is the
path that converts without re-registering nodes.

What is built, and from where: the module proxy serves only an old Calico snapshot that does not
build, so the unmodified v3.32.1 release source comes from ``../shared/vendor/`` (its go.mod
replaces ``github.com/projectcalico/api`` with ``./api``); its dependencies come from the proxy.
Everything but calico-node is built with ``CGO_ENABLED=0``. calico-node needs cgo: Felix's
libbpf binding has a no-cgo stub that panics ("LIBBPF syscall stub"), and Felix calls it even in
the iptables dataplane, at start, to clean up a leftover eBPF connect-time load balancer (measured
here: every calico-node built without cgo crashed there). Upstream links libbpf v1.6.2 from a git
clone; the lab links a static libbpf built from Debian's own source package of libbpf 1.5.0 (the
trixie release, fetched from the Debian archive and checked against :data:`LIBBPF_SHA256`):
bookworm's libbpf-dev 1.1.2 lacks the tcx attach API Felix's binding uses. libelf and zlib come
from bookworm's packages (libelf-dev, zlib1g-dev), and libpcap (libpcap-dev) for the gopacket capture code
Felix links.

* ``calico-node`` and ``mountns`` (``quay.io/calico/node``), with upstream's own runit service
  tree and ``start_runit`` from ``node/filesystem``, Debian's runit (``runsvdir``/``runsv``,
  downloaded with ``apt-get download``, not installed on the host), iptables (nft and legacy),
  ipset, conntrack and busybox for the shell scripts;
* ``calico`` (also as ``calico-ipam``) and ``install`` (``quay.io/calico/cni``) with
  ``host-local``, ``portmap``, ``loopback`` and ``tuning`` from
  ``github.com/containernetworking/plugins`` at the version Calico's go.mod requires, as
  upstream's image ships them;
* ``kube-controllers``, ``check-status`` and ``wrapper`` (``quay.io/calico/kube-controllers``,
  user 999 as upstream).

Images are written by :mod:`dslab.images` under the exact references the manifest names.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import urllib.request
from pathlib import Path
from typing import Mapping

import yaml

from dslab import build, cluster, images, net
from dslab.flannel import vendor_dir
from dslab.util import Log, log, wait_for

CALICO_VERSION = "v3.32.1"
CALICO_TARBALL = "calico-v3.32.1.tar.gz"
CALICO_MODULE = "github.com/projectcalico/calico"
BUILDINFO_VERSION_VAR = "github.com/projectcalico/calico/pkg/buildinfo.Version"
#: Binary name -> package inside the release source.
CALICO_BINARIES = {
    "calico-node": "./node/cmd/calico-node",
    "mountns": "./node/cmd/mountns",
    "calico": "./cni-plugin/cmd/calico",
    "install": "./cni-plugin/cmd/install",
    "kube-controllers": "./kube-controllers/cmd/kube-controllers",
    "check-status": "./kube-controllers/cmd/check-status",
    "wrapper": "./kube-controllers/cmd/wrapper",
}
#: Built with cgo against libbpf (see the module docstring).
CGO_BINARIES = ("calico-node",)
LIBBPF_VERSION = "1.5.0"
LIBBPF_SOURCE = f"https://deb.debian.org/debian/pool/main/libb/libbpf/libbpf_{LIBBPF_VERSION}.orig.tar.gz"
LIBBPF_SHA256 = "53492aff6dd47e4da04ef5e672d753b9743848bdb38e9d90eafbe190b7983c44"
CNI_PLUGINS_MODULE = "github.com/containernetworking/plugins"
#: The standard plugins upstream's calico/cni image ships (cni-plugin/Makefile ``CN_FILES``).
CNI_PLUGINS = {"host-local": "plugins/ipam/host-local", "portmap": "plugins/meta/portmap",
               "loopback": "plugins/main/loopback", "tuning": "plugins/meta/tuning"}
#: Debian packages whose files go into calico-node's image without being installed on the host.
DEBIAN_DOWNLOADS = {"runit": ("/usr/bin/runsvdir", "/usr/bin/runsv", "/usr/bin/sv")}
#: Host files for calico-node's image (Felix runs ipset and conntrack; iptables from images).
HOST_NODE_FILES = ("/usr/sbin/ipset",)
BUSYBOX_APPLETS = ("sh", "cat", "cp", "mkdir", "rm", "env", "which", "tee", "ls", "test", "[", "echo",
                   "sleep", "mount", "ps", "grep", "sed")
MANIFEST_REL = "manifests/calico.yaml"
PRODUCT_FILES = (*CALICO_BINARIES, *CNI_PLUGINS)
IMAGE_NAMES = ("node", "cni", "kube-controllers")


def product_dir(root: Path | None = None) -> Path:
    """Return ``<cache>/cni/calico-<version>``: binaries, manifest and images of this mode."""
    return (root or build.cache_root()) / "cni" / f"calico-{CALICO_VERSION}"


def manifest_images(manifest: str) -> dict[str, str]:
    """Return ``{"node": ref, "cni": ref, "kube-controllers": ref}`` as the manifest names them."""
    refs: dict[str, str] = {}
    for doc in yaml.safe_load_all(manifest):
        if not doc or doc.get("kind") not in ("DaemonSet", "Deployment"):
            continue
        spec = doc["spec"]["template"]["spec"]
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            ref = container["image"]
            refs[ref.rsplit("/", 1)[-1].split(":")[0]] = ref
    if set(refs) != set(IMAGE_NAMES):
        raise RuntimeError(f"calico.yaml: unexpected images {sorted(refs.values())}")
    return refs


def _replace_env_value(text: str, name: str, old: str, new: str) -> str:
    """Set ``- name: NAME`` / ``value: "old"`` to ``new`` (exactly one occurrence)."""
    pattern = re.compile(r'(- name: %s\n\s+value: ")%s(")' % (re.escape(name), re.escape(old)))
    text, count = pattern.subn(r"\g<1>%s\g<2>" % new, text)
    if count != 1:
        raise RuntimeError(f"calico.yaml: expected one {name}={old!r}, found {count}")
    return text


def lab_manifest(manifest: str, pod_subnet: str) -> str:
    """Return the published manifest set up for VXLAN without BGP on ``pod_subnet``.

    The edits Calico's documentation gives for a VXLAN-only install ("calico_backend: vxlan",
    the pool's IPIP off and VXLAN on, no BIRD checks in the probes) plus the default pool's
    CIDR; everything else stays byte for byte as published.
    """
    text, count = re.subn(r'(calico_backend: ")bird(")', r"\g<1>vxlan\g<2>", manifest)
    if count != 1:
        raise RuntimeError(f"calico.yaml: expected one calico_backend \"bird\", found {count}")
    text = _replace_env_value(text, "CALICO_IPV4POOL_IPIP", "Always", "Never")
    text = _replace_env_value(text, "CALICO_IPV4POOL_VXLAN", "Never", "Always")
    text, count = re.subn(r'\n( +)# - name: CALICO_IPV4POOL_CIDR\n +#   value: "[^"]+"',
                          lambda m: f'\n{m.group(1)}- name: CALICO_IPV4POOL_CIDR\n{m.group(1)}  value: "{pod_subnet}"',
                          text)
    if count != 1:
        raise RuntimeError(f"calico.yaml: expected one commented CALICO_IPV4POOL_CIDR, found {count}")
    text, count = re.subn(r"\n\s+- -bird-(live|ready)(?=\n)", "", text)
    if count != 2:
        raise RuntimeError(f"calico.yaml: expected -bird-live and -bird-ready in the probes, found {count}")
    return text


# --------------------------------------------------------------------------- build


def _source_dir(root: Path) -> Path:
    """Unpack the vendored release source once; return its root (the dir holding go.mod)."""
    work = product_dir(root) / "work" / "src"
    mark = work / ".unpacked"
    if mark.exists():
        (source,) = [p for p in work.iterdir() if (p / "go.mod").is_file()]
        return source
    source = build.unpack_source(vendor_dir() / CALICO_TARBALL, work, "../shared/vendor")
    mark.write_text(CALICO_TARBALL + "\n")
    return source


def build_libbpf(root: Path, log_fn: Log) -> dict[str, str]:
    """Build a static libbpf from Debian's source package (:data:`LIBBPF_SOURCE`); return the cgo flags for it."""
    work = product_dir(root) / "work" / f"libbpf-{LIBBPF_VERSION}"
    prefix = work / "out"
    source = work / f"libbpf-{LIBBPF_VERSION}"
    flags = {"CGO_ENABLED": "1",
             "CGO_CFLAGS": f"-I{prefix}/usr/include/bpf -I{source}/src -I{source}/include/uapi",
             "CGO_LDFLAGS": f"-L{prefix}/usr/lib64"}
    if (prefix / "usr/lib64/libbpf.a").is_file():
        return flags
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    log_fn(f"libbpf {LIBBPF_VERSION} from Debian's source package ...")
    data = urllib.request.urlopen(LIBBPF_SOURCE, timeout=120).read()  # noqa: S310 - fixed https URL
    if hashlib.sha256(data).hexdigest() != LIBBPF_SHA256:
        raise RuntimeError(f"{LIBBPF_SOURCE}: sha256 {hashlib.sha256(data).hexdigest()}, expected {LIBBPF_SHA256}")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(work, filter="data")
    subprocess.run(["make", "-s", "-C", str(source / "src"), "BUILD_STATIC_ONLY=1", f"OBJDIR={work / 'obj'}",
                    f"DESTDIR={prefix}", "install"], check=True, capture_output=True)
    return flags


def build_binaries(root: Path, out: Path, log_fn: Log) -> str:
    """Build :data:`CALICO_BINARIES` and :data:`CNI_PLUGINS` into ``out``; return the plugins' version."""
    source = _source_dir(root)
    out.mkdir(parents=True, exist_ok=True)
    log_file = product_dir(root) / "work" / "build.log"
    ldflags = build.simple_ldflags(BUILDINFO_VERSION_VAR, CALICO_VERSION)
    cgo = build_libbpf(root, log_fn)
    for name, pkg in CALICO_BINARIES.items():
        log_fn(f"go build {name} ({pkg}{', cgo with libbpf ' + LIBBPF_VERSION if name in CGO_BINARIES else ''}) ...")
        build.run_go(["build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", str(out / name), pkg],
                     source, root, log_file, extra_env=cgo if name in CGO_BINARIES else None)
    version = build.parse_requires((source / "go.mod").read_text())[CNI_PLUGINS_MODULE]
    work = product_dir(root) / "work" / "plugins"
    build.prepare_wrapper(work, build.wrapper_gomod("dslab.local/build/calicoplugins", "1.24",
                                                    {CNI_PLUGINS_MODULE: version}, {}))
    for name, pkg in CNI_PLUGINS.items():
        log_fn(f"go build {name} ({CNI_PLUGINS_MODULE}@{version}) ...")
        build.run_go(["build", "-trimpath", "-ldflags", "-s -w", "-o", str(out / name), f"{CNI_PLUGINS_MODULE}/{pkg}"],
                     work, root, log_file)
    (product_dir(root) / "calico.yaml").write_text((source / MANIFEST_REL).read_text())
    return version


def download_debian_files(root: Path, log_fn: Log) -> Path:
    """``apt-get download`` the packages of :data:`DEBIAN_DOWNLOADS` and unpack them (not installed)."""
    dest = product_dir(root) / "debian"
    wanted = [dest / "root" / path.lstrip("/") for paths in DEBIAN_DOWNLOADS.values() for path in paths]
    if all(p.is_file() for p in wanted):
        return dest / "root"
    debs = dest / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    for package in DEBIAN_DOWNLOADS:
        if not list(debs.glob(f"{package}_*.deb")):
            log_fn(f"apt-get download {package} ...")
            proc = subprocess.run(["apt-get", "download", package], cwd=debs, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                subprocess.run(["apt-get", "update", "-qq"], check=True)
                subprocess.run(["apt-get", "download", package], cwd=debs, check=True, capture_output=True)
        (deb,) = sorted(debs.glob(f"{package}_*.deb"))[-1:]
        subprocess.run(["dpkg-deb", "-x", str(deb), str(dest / "root")], check=True)
    return dest / "root"


def ensure_binaries(log_fn: Log = log) -> Path:
    """Return the directory of this mode's binaries, building what is missing."""
    root = build.cache_root()
    out = product_dir(root) / "bin"
    stamp = product_dir(root) / "stamp.json"
    if stamp.exists() and all((out / name).is_file() for name in PRODUCT_FILES):
        return out
    with build.build_lock(root, log_fn):
        plugins_version = build_binaries(root, out, log_fn)
        stamp.write_text(json.dumps({"calico": CALICO_VERSION, "cni-plugins": plugins_version,
                                     "source": CALICO_TARBALL}, indent=1) + "\n")
    log_fn(f"calico {CALICO_VERSION} binaries ready in {out}")
    return out


def published_manifest(root: Path | None = None) -> str:
    """Return the release's manifests/calico.yaml as published (saved by the build)."""
    return (product_dir(root) / "calico.yaml").read_text()


# --------------------------------------------------------------------------- images


def node_filesystem_layer(source: Path) -> images.Layer:
    """Upstream's ``node/filesystem``: ``etc/`` -> ``/etc`` and ``sbin/`` -> ``/usr/sbin`` (as its Dockerfile)."""
    layer = images.Layer()
    for sub, target in (("etc", "/etc"), ("sbin", "/usr/sbin")):
        base = source / "node" / "filesystem" / sub
        for path in sorted(base.rglob("*")):
            dest = target + "/" + str(path.relative_to(base))
            if path.is_dir():
                layer.add_dir(dest)
            elif path.name != ".gitkeep":
                layer.add_file(dest, path, path.stat().st_mode & 0o755 | 0o644)
    return layer


def host_files_layer(paths: tuple[str, ...], rebase: Mapping[str, Path] | None = None) -> images.Layer:
    """Host executables (or unpacked ones, ``image path -> file``) with the shared libraries they need."""
    layer = images.Layer()
    libs: set[str] = set()
    for path in paths:
        layer.add_host_path(path)
        libs |= images.shared_libraries(path)
    for path, source in sorted((rebase or {}).items()):
        layer.add_file(path, source, 0o755)
        libs |= images.shared_libraries(str(source))
    for lib in sorted(libs):
        layer.add_host_path(lib)
    return layer


def busybox_layer() -> images.Layer:
    """busybox and the applets the node image's scripts use."""
    layer = images.Layer()
    layer.add_file("/bin/busybox", Path(images.BUSYBOX), 0o755)
    for applet in BUSYBOX_APPLETS:
        layer.add_symlink(f"/bin/{applet}", "busybox")
    layer.add_symlink("/usr/bin/which", "/bin/busybox")  # start_runit runs /usr/bin/which runsvdir
    return layer


def image_specs(bins: Path, debian_root: Path, source: Path, refs: Mapping[str, str]) -> list[images.ImageSpec]:
    """The three images the manifest runs, under its own references (layouts as upstream's Dockerfiles)."""
    base = images.base_layer()
    runit = {path: debian_root / path.lstrip("/") for path in DEBIAN_DOWNLOADS["runit"]}
    node = images.ImageSpec(
        refs["node"],
        [base, busybox_layer(), images.iptables_layer(),
         host_files_layer(HOST_NODE_FILES, {**runit, "/bin/calico-node": bins / "calico-node"}),  # with libelf, zlib
         node_filesystem_layer(source), images.binary_layer({"/bin/mountns": bins / "mountns"})],
        cmd=["start_runit"],
        env=[f"PATH={images.BASE_ENV_PATH}", "SVDIR=/etc/service/enabled"])
    cni_bin = images.binary_layer({f"/opt/cni/bin/{name}": bins / name
                                   for name in ("install", "calico", *CNI_PLUGINS)})
    cni_bin.add_symlink("/opt/cni/bin/calico-ipam", "./calico")
    cni = images.ImageSpec(refs["cni"], [base, cni_bin], cmd=["/opt/cni/bin/install"],
                           env=[f"PATH=/opt/cni/bin:{images.BASE_ENV_PATH}"], workdir="/opt/cni/bin")
    controllers = images.binary_layer({f"/usr/bin/{name}": bins / name
                                       for name in ("kube-controllers", "check-status", "wrapper")})
    for path in ("/status/status.json", "/profiles/mem.pprof", "/profiles/cpu.pprof"):
        controllers.add_bytes(path, b"", 0o644, uid=999)
    kube_controllers = images.ImageSpec(refs["kube-controllers"], [base, controllers],
                                        entrypoint=["/usr/bin/wrapper", "/usr/bin/kube-controllers"], user="999")
    return [node, cni, kube_controllers]


def ensure_images(log_fn: Log = log) -> dict[str, Path]:
    """Return image reference -> docker-archive tarball for the manifest's three images."""
    missing = [path for path in HOST_NODE_FILES if not Path(path).exists()]
    if missing:
        raise RuntimeError(f"calico-node's image needs {', '.join(missing)} from the host: apt-get install ipset "
                           "(lab/apt-packages.txt; make host-packages)")
    bins = ensure_binaries(log_fn)
    root = build.cache_root()
    debian_root = download_debian_files(root, log_fn)
    refs = manifest_images(published_manifest())
    fingerprint = images.inputs_fingerprint(CALICO_VERSION, [Path(__file__), Path(images.__file__),
                                                             product_dir() / "stamp.json"])
    return images.write_specs(image_specs(bins, debian_root, _source_dir(root), refs), product_dir() / "images",
                              fingerprint, log_fn)


# --------------------------------------------------------------------------- deploy


def deploy(log_fn: Log = log) -> None:
    """``kubectl apply`` the published manifest set up for VXLAN on the lab's pod subnet."""
    text = lab_manifest(published_manifest(), cluster.POD_SUBNET)
    cluster.kubectl("apply", "-f", "-", input_text=text)
    log_fn(f"applied calico.yaml of Calico {CALICO_VERSION} (VXLAN, pool {cluster.POD_SUBNET})")


def wait_ready(timeout: float = 300) -> float:
    """Wait until calico-node runs a ready pod on every node and calico-kube-controllers is available."""
    def ready() -> bool:
        if not cluster.daemonset_ready("kube-system", "calico-node", len(net.nodes())):
            return False
        dep = cluster.kubectl("-n", "kube-system", "get", "deployment", "calico-kube-controllers", "-o",
                              "jsonpath={.status.availableReplicas}", check=False, timeout=30)
        return (dep or "").strip() == "1" and cluster.every_node_has("/etc/cni/net.d/10-calico.conflist")

    return wait_for("calico ready on every node", ready, timeout, 3)
