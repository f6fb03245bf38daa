# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""kube-proxy's KubeProxyConfiguration (ConfigMap ``kube-proxy`` key ``config.conf``, or its ``--config`` file).

kube-proxy needs ``clusterCIDR`` to hold both pod ranges in dual-stack (it tells pod traffic from
the rest per family), and ``featureGates`` as the release wants ``IPv6DualStack``. Only the
``clusterCIDR`` line is replaced when that is all that changes, so the text stays as its owner wrote
it (comments included); when the feature gates change, or the text has no such line, the document
is written out whole. Controller side only (it parses YAML).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.feature_gates import feature_gates

CLUSTER_CIDR_LINE = re.compile(r"(?m)^clusterCIDR:.*$")


def _gates_text(gates: Any) -> str:
    """featureGates (a map in the file) as the flag's ``A=true,B=false``."""
    return ",".join("%s=%s" % (name, str(value).lower()) for name, value in (gates or {}).items())


def kube_proxy_configuration(text: str, cluster_cidr: str, kube_version: Any) -> str:
    """The KubeProxyConfiguration ``text`` with ``clusterCIDR: cluster_cidr`` and featureGates for ``kube_version``."""
    try:
        conf = yaml.safe_load(text or "") or {}
    except yaml.YAMLError as err:
        raise DualStackError("the KubeProxyConfiguration is not YAML (%s): fix it by hand first" % err) from None
    if not isinstance(conf, dict):
        raise DualStackError("the KubeProxyConfiguration is not a mapping: fix it by hand first")
    gates_now = _gates_text(conf.get("featureGates"))
    gates_new = feature_gates(gates_now, kube_version)
    edited = CLUSTER_CIDR_LINE.sub("clusterCIDR: " + cluster_cidr, text or "")
    if gates_new == gates_now and (yaml.safe_load(edited) or {}).get("clusterCIDR") == cluster_cidr:
        return edited
    whole = {key: value for key, value in conf.items() if key != "featureGates"}
    whole["clusterCIDR"] = cluster_cidr
    pairs = [pair.split("=", 1) for pair in gates_new.split(",") if pair]
    if pairs:
        whole["featureGates"] = {name: value.strip().lower() == "true" for name, value in pairs}
    return yaml.safe_dump(whole, default_flow_style=False, indent=2, sort_keys=True)
