# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Upstream's e2e test image ``agnhost``: which tag goes with which Kubernetes minor, and its
``netexec`` server's ``/dial`` endpoint, asked through the apiserver's pod proxy.

The verify role runs ``agnhost netexec`` (HTTP and UDP on one port) in a pod on every node and
probes the way upstream e2e does (test/e2e/framework/network/utils.go): the source pod's own
netexec dials the target (``/dial?request=hostname&protocol=http&host=...&port=...&tries=1``)
and answers JSON ``{"responses": [...], "errors": [...]}``, the responses holding the target
pod's name.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List
from urllib.parse import quote, urlencode

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.versions import parse_version

#: Where upstream's e2e suite pulls agnhost from (test/utils/image/manifest.go: PromoterE2eRegistry).
AGNHOST_REPOSITORY = "registry.k8s.io/e2e-test-images/agnhost"

#: agnhost tag of each Kubernetes minor's e2e suite: ``configs[Agnhost]`` in
#: test/utils/image/manifest.go of the k8s.io/kubernetes module (read from the Go module proxy's
#: zips of v1.29.0, v1.30.0, v1.31.0, v1.32.0, v1.33.0, v1.34.12, v1.35.6, v1.36.3, v1.37.2 and
#: v1.38.0-beta.0; the VERSION file of test/images/agnhost says the same for 1.34 to 1.38).
AGNHOST_VERSIONS = {
    (1, 29): "2.45",
    (1, 30): "2.47",
    (1, 31): "2.52",
    (1, 32): "2.53",
    (1, 33): "2.53",
    (1, 34): "2.56",
    (1, 35): "2.59",
    (1, 36): "2.63.0",
    (1, 37): "2.66.1",
    (1, 38): "2.66.1",
}

NETEXEC_PROTOCOLS = ("http", "udp")


def agnhost_tag(kube_version: Any) -> str:
    """Return the agnhost tag of a Kubernetes release's e2e suite.

    Minors outside :data:`AGNHOST_VERSIONS` get the nearest one listed: older clusters the
    oldest tag, newer ones the newest (agnhost is a plain container, any tag runs anywhere).
    """
    minor = parse_version(kube_version)
    known = sorted(AGNHOST_VERSIONS)
    if minor in AGNHOST_VERSIONS:
        return AGNHOST_VERSIONS[minor]
    return AGNHOST_VERSIONS[known[0] if minor < known[0] else known[-1]]


def agnhost_image(kube_version: Any, repository: str = AGNHOST_REPOSITORY) -> str:
    """Return ``<repository>:<tag>`` for a Kubernetes release (see :func:`agnhost_tag`)."""
    if not isinstance(repository, str) or not repository.strip() or ":" in repository.rsplit("/", 1)[-1]:
        raise DualStackError(
            "agnhost repository %r: give an image name without a tag, e.g. %s" % (repository, AGNHOST_REPOSITORY)
        )
    return "%s:%s" % (repository.strip(), agnhost_tag(kube_version))


def _port(value: Any, what: str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if isinstance(value, bool) or not 0 < port < 65536:
        raise DualStackError("%s %r: a port number from 1 to 65535 is needed" % (what, value))
    return port


def netexec_dial_path(namespace: str, pod: str, pod_port: Any, host: str, port: Any,
                      protocol: str = "http", request: str = "hostname", tries: Any = 1) -> str:
    """Return the apiserver path that asks pod ``pod``'s netexec (on ``pod_port``) to dial ``host``:``port``.

    For ``kubectl get --raw``: ``/api/v1/namespaces/<ns>/pods/<pod>:<pod_port>/proxy/dial?...``.
    ``host`` is a bare address (an IPv6 one without brackets: netexec joins host and port).
    """
    if protocol not in NETEXEC_PROTOCOLS:
        raise DualStackError("netexec protocol %r: use one of %s" % (protocol, ", ".join(NETEXEC_PROTOCOLS)))
    for what, value in (("namespace", namespace), ("pod", pod), ("host", host), ("request", request)):
        if not isinstance(value, str) or not value or ("/" in value and what != "request"):
            raise DualStackError("netexec dial: %s %r must be a non-empty name" % (what, value))
    count = _port(tries, "tries")
    query = urlencode([("request", request), ("protocol", protocol), ("host", host),
                       ("port", str(_port(port, "port"))), ("tries", str(count))])
    return "/api/v1/namespaces/%s/pods/%s:%d/proxy/dial?%s" % (
        quote(namespace, safe=""), quote(pod, safe=""), _port(pod_port, "pod port"), query)


def netexec_dial_result(output: Any) -> Dict[str, List[str]]:
    """Parse netexec's ``/dial`` answer into ``{"responses": [...], "errors": [...]}``.

    Anything that is not its JSON object (an apiserver error, an empty answer) becomes one
    error holding the text, so a caller can report it.
    """
    text = output if isinstance(output, str) else ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return {"responses": [], "errors": [text.strip() or "no answer"]}
    result = {}
    for key in ("responses", "errors"):
        value = data.get(key) or []
        result[key] = [str(item).strip() for item in value] if isinstance(value, list) else [str(value)]
    return result
