# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""What the CNI and egress tests share: the published upstream manifests in fixtures/cni/, read as kubectl returns them."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError

FIXTURES = Path(__file__).parent / "fixtures" / "cni"
PODS = ["10.244.0.0/16", "fd00:10:244::/56"]


def docs(name):
    return [doc for doc in yaml.safe_load_all((FIXTURES / name).read_text()) if doc]


def one(name, kind, obj_name=None):
    found = [d for d in docs(name) if d["kind"] == kind and (obj_name is None or d["metadata"]["name"] == obj_name)]
    assert len(found) == 1
    # What kubectl get -o json adds to a live object; the transformations must carry it through.
    live = copy.deepcopy(found[0])
    live["metadata"].update({"resourceVersion": "4711", "uid": "0b7c9a8e-1111-4222-8333-944455556666"})
    return live


def raises(match, func, *args, **kwargs):
    with pytest.raises(DualStackError, match=match) as info:
        func(*args, **kwargs)
    return str(info.value)


def v4_pool():
    """Calico's default IPv4 IPPool: left alone by the Calico transformations, refused by the ip-masq-agent ones."""
    return {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "default-ipv4-ippool"},
            "spec": {"cidr": "10.244.0.0/16", "blockSize": 26, "ipipMode": "Always", "natOutgoing": True,
                     "nodeSelector": "all()", "vxlanMode": "Never"}}
