"""A real CSI node plugin on every lab node: upstream's node-driver-registrar and e2e mock driver.

Re-registering a Node deletes its ``CSINode``; the kubelet only writes it again for drivers whose
node plugin registers again, which is why the collection restarts the CSI node plugins on a node
after its re-registration and waits until ``csinode/<node>`` lists its drivers again.  This module
gives the lab such a plugin, so that the conversion is proven against a real registration and
not only in unit tests:

* ``csi-node-driver-registrar`` built from the unmodified release source of
  ``github.com/kubernetes-csi/node-driver-registrar`` :data:`REGISTRAR_VERSION` in
  ``lab/vendor/`` (the Go module proxy does not serve that repository; see its README), with its
  dependencies from the proxy, under the image name upstream publishes;
* ``csi-mock``: upstream's e2e CSI mock driver (``test/e2e/storage/drivers/csi-test`` of the
  pinned kubernetes module, the in-memory driver the e2e suite's csi-mock tests embed), run by
  the small wrapper ``lab/csi-mock/main.go`` because upstream has no command for it;
* a DaemonSet shaped like upstream's ``test/e2e/testing-manifests/storage-csi/mock/csi-mock-driver.yaml``
  (registrar + driver sharing ``/var/lib/kubelet/plugins/csi-mock``, the registrar in
  ``/var/lib/kubelet/plugins_registry``) on every node, and the ``CSIDriver`` object, which allows
  inline ephemeral volumes (with pod info on mount: the kubelet then marks the volume ephemeral,
  which the mock driver reads) so that a pod can mount a volume of the driver on any node.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Mapping

import yaml

from dslab import build, cluster, images, net
from dslab.util import Log, log, wait_for

REGISTRAR_VERSION = "v2.17.0"
REGISTRAR_TARBALL = f"node-driver-registrar-{REGISTRAR_VERSION}.tar.gz"
REGISTRAR_REF = f"registry.k8s.io/sig-storage/csi-node-driver-registrar:{REGISTRAR_VERSION}"
MOCK_REPOSITORY = "dualstack.lab/csi-mock"
#: The driver name of upstream's mock manifest (csi-mock-driver.yaml: --drivername=mock.storage.k8s.io).
DRIVER = "mock.storage.k8s.io"
NAMESPACE = "dslab-csi"
DAEMONSET = "csi-mockplugin"
PLUGIN_DIR = "/var/lib/kubelet/plugins/csi-mock"
REGISTRY_DIR = "/var/lib/kubelet/plugins_registry"
MOCK_MAIN = Path(__file__).resolve().parents[1] / "csi-mock" / "main.go"
MOCK_PACKAGE = "./cmd/csi-mock"


def vendor_tarball() -> Path:
    """Return ``lab/vendor/<registrar release>.tar.gz``."""
    return Path(__file__).resolve().parents[1] / "vendor" / REGISTRAR_TARBALL


def product_dir(version: str, root: Path | None = None) -> Path:
    """Return ``<cache>/<kube version>/csi``: binaries and images of the lab's CSI plugin."""
    return build.version_dir(version, root) / "csi"


#: The newest kubernetes release whose e2e mock driver publishes an inline ephemeral volume. From 1.37
#: ``findVolNoLock`` returns a ``*csi.Volume`` (nil when not found) and ``NodePublishVolume`` reads
#: ``v.VolumeContext`` before it looks at the ephemeral case (test/e2e/storage/drivers/csi-test/mock/service/node.go:195
#: of v1.37.2): the driver panics on every inline volume, so the lab builds that release's mock for 1.37 and newer.
MOCK_NEWEST_WORKING = "v1.36.3"


def mock_source(version: str) -> str:
    """The kubernetes release whose mock driver the lab of ``version`` runs: its own, or :data:`MOCK_NEWEST_WORKING`."""
    return version if build.release_minor(version) < 37 else MOCK_NEWEST_WORKING


def mock_ref(version: str) -> str:
    """The mock driver's image: built from the kubernetes module of :func:`mock_source`, tagged with that release."""
    return f"{MOCK_REPOSITORY}:{mock_source(version)}"


# --------------------------------------------------------------------------- build


def build_registrar(root: Path, work: Path, out: Path, log_fn: Log) -> None:
    """Build ``csi-node-driver-registrar`` from the vendored release source."""
    source = build.unpack_source(vendor_tarball(), work, "lab/vendor (see its README)")
    log_fn(f"go build csi-node-driver-registrar {REGISTRAR_VERSION} ...")
    build.run_go(["build", "-trimpath", "-ldflags", build.simple_ldflags("main.version", REGISTRAR_VERSION),
                  "-o", str(out / "csi-node-driver-registrar"), "./cmd/csi-node-driver-registrar"],
                 source, root, work / "build.log")


def build_mock(version: str, root: Path, work: Path, out: Path, log_fn: Log) -> None:
    """Build ``csi-mock`` (lab/csi-mock/main.go) against the kubernetes module of ``version`` (see :func:`mock_source`)."""
    k8s = build.download_module(build.K8S_MODULE, version, root, work.parent / "dl")
    build.prepare_wrapper(work, build.kube_wrapper_gomod(Path(k8s["GoMod"]).read_text(), version))
    main_dir = work / "cmd" / "csi-mock"
    main_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MOCK_MAIN, main_dir / "main.go")
    log_fn(f"go build csi-mock (upstream's e2e CSI mock driver of kubernetes {version}) ...")
    build.run_go(["build", "-trimpath", "-ldflags", "-s -w", "-o", str(out / "csi-mock"), MOCK_PACKAGE],
                 work, root, work / "build.log")


def ensure_binaries(version: str, log_fn: Log = log) -> Path:
    """Return the directory holding ``csi-node-driver-registrar`` and ``csi-mock``, building what is missing."""
    root = build.cache_root()
    out = product_dir(version, root) / "bin"
    stamp = product_dir(version, root) / "stamp.json"
    wanted = {"registrar": REGISTRAR_VERSION, "mock-main": images.sha256_hex(MOCK_MAIN.read_bytes()),
              "mock-source": mock_source(version)}
    names = ("csi-node-driver-registrar", "csi-mock")
    if stamp.exists() and json.loads(stamp.read_text()) == wanted and all((out / n).is_file() for n in names):
        return out
    out.mkdir(parents=True, exist_ok=True)
    with build.build_lock(root, log_fn):
        build_registrar(root, product_dir(version, root) / "work" / "registrar", out, log_fn)
        build_mock(mock_source(version), root, product_dir(version, root) / "work" / "mock", out, log_fn)
        stamp.write_text(json.dumps(wanted, indent=1) + "\n")
    log_fn(f"CSI node plugin binaries ready in {out}")
    return out


# --------------------------------------------------------------------------- images


def image_specs(bins: Path, version: str) -> list[images.ImageSpec]:
    """The registrar (entrypoint ``/csi-node-driver-registrar``, as upstream's Dockerfile) and the mock."""
    registrar = images.ImageSpec(REGISTRAR_REF, [images.base_layer(), images.binary_layer(
        {"/csi-node-driver-registrar": bins / "csi-node-driver-registrar"})],
        entrypoint=["/csi-node-driver-registrar"])
    mock = images.ImageSpec(mock_ref(version), [images.base_layer(),
                                                images.binary_layer({"/csi-mock": bins / "csi-mock"})],
                            entrypoint=["/csi-mock"])
    return [registrar, mock]


def ensure_images(version: str, log_fn: Log = log) -> dict[str, Path]:
    """Return image reference -> docker-archive tarball for the two images."""
    bins = ensure_binaries(version, log_fn)
    fingerprint = images.inputs_fingerprint(version, [Path(__file__), Path(images.__file__),
                                                      product_dir(version) / "stamp.json"])
    return images.write_specs(image_specs(bins, version), product_dir(version) / "images", fingerprint, log_fn)


# --------------------------------------------------------------------------- deploy


def _host_dir(name: str, path: str, kind: str) -> dict[str, Any]:
    return {"name": name, "hostPath": {"path": path, "type": kind}}


def manifest(version: str) -> list[dict[str, Any]]:
    """The namespace, the ``CSIDriver`` and the node plugin DaemonSet (every node, taints tolerated)."""
    node_name = {"name": "KUBE_NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}
    registrar = {
        "name": "driver-registrar", "image": REGISTRAR_REF,
        "args": ["--v=5", "--csi-address=/csi/csi.sock", f"--kubelet-registration-path={PLUGIN_DIR}/csi.sock"],
        "env": [node_name], "securityContext": {"privileged": True},
        "volumeMounts": [{"mountPath": "/csi", "name": "socket-dir"},
                         {"mountPath": "/registration", "name": "registration-dir"}],
    }
    mock = {
        "name": "mock", "image": mock_ref(version),
        "args": [f"--drivername={DRIVER}", "--endpoint=/csi/csi.sock", "-v=5"],
        "env": [node_name], "securityContext": {"privileged": True},
        "volumeMounts": [{"mountPath": "/csi", "name": "socket-dir"},
                         {"mountPath": "/var/lib/kubelet/pods", "name": "kubelet-pods-dir"}],
    }
    labels = {"app": DAEMONSET}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": DRIVER},
         "spec": {"attachRequired": False, "podInfoOnMount": True,
                  "volumeLifecycleModes": ["Persistent", "Ephemeral"]}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": DAEMONSET, "namespace": NAMESPACE},
         "spec": {"selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels},
                               "spec": {"tolerations": [{"operator": "Exists"}],
                                        "terminationGracePeriodSeconds": 5,
                                        "containers": [registrar, mock],
                                        "volumes": [_host_dir("socket-dir", PLUGIN_DIR, "DirectoryOrCreate"),
                                                    _host_dir("kubelet-pods-dir", "/var/lib/kubelet/pods", "Directory"),
                                                    _host_dir("registration-dir", REGISTRY_DIR, "Directory")]}}}},
    ]


def deploy(version: str, log_fn: Log = log) -> None:
    """``kubectl apply`` the CSI node plugin (the images are already on every node)."""
    cluster.kubectl("apply", "-f", "-", input_text=yaml.safe_dump_all(manifest(version), sort_keys=False))
    log_fn(f"applied the CSI node plugin ({DRIVER}: node-driver-registrar {REGISTRAR_VERSION} + e2e mock driver)")


def drivers_by_node(csinodes: Mapping[str, Any]) -> dict[str, list[str]]:
    """Return node name -> the drivers its CSINode lists, from ``kubectl get csinode -o json``."""
    return {item["metadata"]["name"]: sorted(d["name"] for d in item.get("spec", {}).get("drivers") or [])
            for item in csinodes.get("items", [])}


def registered_everywhere(node_names: list[str]) -> bool:
    """True when the CSINode of every node in ``node_names`` lists :data:`DRIVER`."""
    listed = drivers_by_node(json.loads(cluster.kubectl("get", "csinode", "-o", "json")))
    return all(DRIVER in listed.get(name, []) for name in node_names)


def wait_registered(nodes: list[str] | None = None, timeout: float = 180) -> float:
    """Wait until every node's CSINode lists the driver (the registrar and the kubelet did their part)."""
    names = nodes if nodes is not None else [n.name for n in net.nodes()]
    return wait_for(f"CSI driver {DRIVER} registered on {len(names)} nodes",
                    lambda: registered_everywhere(names), timeout, 2)
