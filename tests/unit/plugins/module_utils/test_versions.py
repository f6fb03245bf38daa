"""Version parsing in plugins/module_utils/versions.py."""

from __future__ import annotations

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils import versions
from ansible_collections.dualstack.kubernetes.plugins.module_utils.versions import at_least, parse_version


@pytest.mark.parametrize(
    "text, expected",
    [("1.24", (1, 24)), ("1.24.3", (1, 24)), ("v1.24.3", (1, 24)), ("v1.30.0-rc.1", (1, 30)),
     ("v1.34.4+k3s1", (1, 34)), (" 1.9 ", (1, 9)), (1.25, (1, 25))],
)
def test_parse_version(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["", None, "latest", "1", "v1", "1.x", "1.24.3.4", "V1.24", True, "1.24-"])
def test_parse_version_rejects(text):
    with pytest.raises(DualStackError, match="not a Kubernetes version"):
        parse_version(text)


def test_at_least_compares_numerically():
    assert at_least((1, 10), (1, 9))
    assert not at_least((1, 9), (1, 16))
    assert at_least((2, 0), (1, 34))


def test_convertible_versions():
    versions.require_convertible_version((1, 21), "1.21")
    with pytest.raises(DualStackError, match="runs Kubernetes v1.20.15; the collection converts 1.21 and newer"):
        versions.require_convertible_version((1, 20), "v1.20.15")


@pytest.mark.parametrize("declared, detected", [("", "v1.34.1"), ("1.34", "v1.34.12"), ("v1.33.0", "v1.33.7+k3s1"), ("1.34", None)])
def test_declared_version_matches(declared, detected):
    versions.check_declared_version(declared, detected)


def test_declared_version_mismatch():
    with pytest.raises(DualStackError, match="dualstack_kube_version is 1.33 but the cluster's kube-apiserver reports v1.34.2.* set it to 1.34"):
        versions.check_declared_version("1.33", "v1.34.2")


@pytest.mark.parametrize("detected", ["v1.33.13", "v1.34.12", "1.34", "v1.34.0-rc.1", "v1.35.8", "v1.36.3", "v1.37.2", None, ""])
def test_tested_release_passes(detected):
    versions.check_tested_release(detected)


@pytest.mark.parametrize("detected", ["v1.32.9", "v1.38.0-beta.0"])
def test_untested_release_refused_naming_range_and_override(detected):
    with pytest.raises(DualStackError) as err:
        versions.check_tested_release(detected)
    text = str(err.value)
    assert "Kubernetes %s" % detected in text
    assert "converted and rolled back live (%s)" % versions.describe_minors(versions.LIVE_TESTED) in text
    assert "dualstack_allow_untested_release: true" in text and "own risk" in text
    # The operator's override, as a bool or as the string an inventory or extra-var gives.
    for allow in (True, "true", "yes"):
        versions.check_tested_release(detected, allow)


def test_untested_release_bad_version_named():
    with pytest.raises(DualStackError, match="'banana' is not a Kubernetes version"):
        versions.check_tested_release("banana")


def test_describe_minors():
    assert versions.describe_minors(((1, 35), (1, 34), (1, 36))) == "1.34 to 1.36"
    assert versions.describe_minors(((1, 34), (1, 35), (1, 37))) == "1.34, 1.35 and 1.37"
    assert versions.describe_minors(((1, 34),)) == "1.34"
