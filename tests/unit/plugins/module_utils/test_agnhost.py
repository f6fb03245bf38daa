"""agnhost: the e2e tag per Kubernetes minor and netexec's /dial through the pod proxy."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils import agnhost
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


@pytest.mark.parametrize("version, tag", [
    ("1.29", "2.45"), ("v1.30.4", "2.47"), ("1.31.0", "2.52"), ("1.32", "2.53"), ("1.33.5", "2.53"),
    ("v1.34.12", "2.56"), ("v1.35.6", "2.59"), ("v1.36.0-alpha.1", "2.63.0"), ("1.21", "2.45"),
    ("v1.37.2", "2.66.1"), ("v1.38.0-beta.0", "2.66.1"), ("1.40", "2.66.1"),
])
def test_agnhost_tag_per_minor(version, tag):
    assert agnhost.agnhost_tag(version) == tag


def test_agnhost_image():
    assert agnhost.agnhost_image("v1.34.12") == "registry.k8s.io/e2e-test-images/agnhost:2.56"
    assert agnhost.agnhost_image("1.35", "mirror.example:5000/e2e/agnhost") == "mirror.example:5000/e2e/agnhost:2.59"


@pytest.mark.parametrize("repository", ["", "registry.k8s.io/e2e-test-images/agnhost:2.56", None])
def test_agnhost_image_refuses_a_tagged_or_empty_repository(repository):
    with pytest.raises(DualStackError, match="without a tag"):
        agnhost.agnhost_image("1.34", repository)


def test_agnhost_tag_refuses_a_non_version():
    with pytest.raises(DualStackError, match="not a Kubernetes version"):
        agnhost.agnhost_tag("latest")


def test_netexec_dial_path_ipv6_target():
    path = agnhost.netexec_dial_path("dualstack-verify", "agnhost-x1", 8080, "fd00:10:244:1::5", "8080")
    parts = urlsplit(path)
    assert parts.path == "/api/v1/namespaces/dualstack-verify/pods/agnhost-x1:8080/proxy/dial"
    assert parse_qsl(parts.query) == [("request", "hostname"), ("protocol", "http"),
                                      ("host", "fd00:10:244:1::5"), ("port", "8080"), ("tries", "1")]
    assert "%3A" in parts.query  # the IPv6 colons are escaped


def test_netexec_dial_path_udp_clientip():
    path = agnhost.netexec_dial_path("ns", "p", "8080", "10.96.0.9", 90, protocol="udp", request="clientip", tries=3)
    assert path.endswith("dial?request=clientip&protocol=udp&host=10.96.0.9&port=90&tries=3")


@pytest.mark.parametrize("kwargs, words", [
    ({"protocol": "sctp"}, "protocol 'sctp'"),
    ({"port": 0}, "port 0"),
    ({"port": "http"}, "port 'http'"),
    ({"pod_port": True}, "pod port True"),
    ({"pod": ""}, "pod ''"),
    ({"host": "a/b"}, "host 'a/b'"),
    ({"tries": -1}, "tries -1"),
])
def test_netexec_dial_path_refuses(kwargs, words):
    args = {"namespace": "ns", "pod": "p", "pod_port": 8080, "host": "10.0.0.1", "port": 8080, **kwargs}
    with pytest.raises(DualStackError) as err:
        agnhost.netexec_dial_path(**args)
    assert words in str(err.value)


def test_netexec_dial_result():
    assert agnhost.netexec_dial_result('{"responses":["agnhost-abc"]}') == {"responses": ["agnhost-abc"], "errors": []}
    assert agnhost.netexec_dial_result('{"errors":["dial tcp 10.0.0.1:80: i/o timeout"]}') == {
        "responses": [], "errors": ["dial tcp 10.0.0.1:80: i/o timeout"]}
    # The UDP server answers with a newline; tries=2 with one failure.
    assert agnhost.netexec_dial_result('{"responses":["p1\\n"],"errors":["udp: timeout"]}') == {
        "responses": ["p1"], "errors": ["udp: timeout"]}


@pytest.mark.parametrize("text", ["", None, "Error from server (ServiceUnavailable): no endpoints", "[1, 2]"])
def test_netexec_dial_result_other_text_is_one_error(text):
    result = agnhost.netexec_dial_result(text)
    assert result["responses"] == [] and len(result["errors"]) == 1
    assert result["errors"][0] == ((text or "").strip() or "no answer")
