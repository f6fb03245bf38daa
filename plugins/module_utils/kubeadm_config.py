# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""kubeadm's ClusterConfiguration (ConfigMap ``kube-system/kubeadm-config``) kept in step with the plan.

``kubeadm upgrade`` and ``kubeadm join --control-plane`` regenerate the control plane's manifests
from it, so after the components are edited it must say the same: ``networking.podSubnet`` and
``serviceSubnet`` both ranges (kubeadm passes them on as ``--cluster-cidr`` and
``--service-cluster-ip-range``), and the ``extraArgs`` of kube-apiserver and kube-controller-manager
that carry a range, a node mask or feature gates edited as the plan says. ``extraArgs`` is a map in
``kubeadm.k8s.io/v1beta3`` and a list of ``{name, value}`` in ``v1beta4``; the form and the order
are kept, new arguments are appended.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Mapping, Optional

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError
from ansible_collections.dualstack.kubernetes.plugins.module_utils.feature_gates import feature_gates


def extra_args_map(extra_args: Any) -> Dict[str, Any]:
    """``extraArgs`` (map, list of ``{name, value}``, or absent) as an ordered map."""
    if extra_args in (None, [], {}):
        return {}
    if isinstance(extra_args, Mapping):
        return dict(extra_args)
    if isinstance(extra_args, list) and all(isinstance(a, Mapping) and "name" in a for a in extra_args):
        return {str(a["name"]): a.get("value") for a in extra_args}
    raise DualStackError("extraArgs %r is neither a map (kubeadm v1beta3) nor a list of {name, value} (v1beta4): "
                         "fix kubeadm-config by hand first" % (extra_args,))


def _edited(now: Dict[str, Any], changes: Mapping[str, Optional[Any]]) -> Dict[str, Any]:
    """``now`` with ``changes`` applied: a value None removes the argument, new ones are appended."""
    out = dict(now)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _as_form(edited: Dict[str, Any], source: Any, api_version: Any) -> Any:
    """In the source's form; a new ``extraArgs`` in the form of the configuration's API version (v1beta4 and later: a list)."""
    as_list = isinstance(source, list) if source not in (None, [], {}) else not str(api_version).endswith("v1beta3")
    return [{"name": k, "value": v} for k, v in edited.items()] if as_list else edited


def _gates(now: Mapping[str, Any], kube_version: Any) -> Dict[str, Optional[str]]:
    """The ``feature-gates`` argument for the version, when there is one (None: it would be empty, so it goes)."""
    if "feature-gates" not in now:
        return {}
    return {"feature-gates": feature_gates(now["feature-gates"], kube_version) or None}


def cluster_configuration(config: Mapping[str, Any], plan: Mapping[str, Any]) -> Dict[str, Any]:
    """The ClusterConfiguration ``config`` as the plan (conversion or way back) wants it; a new object.

    kube-apiserver: ``service-cluster-ip-range`` and ``feature-gates``, when present. kube-controller-manager:
    ``cluster-cidr``, ``service-cluster-ip-range`` and ``feature-gates`` when present, the legacy
    ``node-cidr-mask-size`` removed (per-family masks and it cannot be mixed), every argument the plan removes
    (value None) removed, and the per-family masks of ``plan['node_masks']`` set.
    """
    result = copy.deepcopy(dict(config))
    apiserver_plan = plan.get("kube-apiserver") or {}
    kcm_plan = plan.get("kube-controller-manager") or {}
    version = plan.get("kube_version")

    api_src = (result.get("apiServer") or {}).get("extraArgs")
    api_now = extra_args_map(api_src)
    api_changes: Dict[str, Optional[Any]] = {}
    if "service-cluster-ip-range" in api_now:
        api_changes["service-cluster-ip-range"] = apiserver_plan.get("service-cluster-ip-range")
    api_changes.update(_gates(api_now, version))

    kcm_src = (result.get("controllerManager") or {}).get("extraArgs")
    kcm_now = extra_args_map(kcm_src)
    kcm_changes: Dict[str, Optional[Any]] = {}
    for name in ("cluster-cidr", "service-cluster-ip-range"):
        if name in kcm_now:
            kcm_changes[name] = kcm_plan.get(name)
    kcm_changes.update(_gates(kcm_now, version))
    if "node-cidr-mask-size" in kcm_now:
        kcm_changes["node-cidr-mask-size"] = None
    kcm_changes.update({name: None for name, value in kcm_plan.items() if value is None and name in kcm_now})
    kcm_changes.update({"node-cidr-mask-size-%s" % family: str(mask)
                        for family, mask in (plan.get("node_masks") or {}).items()})

    result.setdefault("networking", {})
    result["networking"]["podSubnet"] = ",".join(plan["pod_cidrs"])
    result["networking"]["serviceSubnet"] = ",".join(plan["service_cidrs"])
    if api_now or api_changes:
        edited = _edited(api_now, api_changes)
        result.setdefault("apiServer", {})["extraArgs"] = _as_form(edited, api_src, result.get("apiVersion"))
    if kcm_now or kcm_changes:
        edited = _edited(kcm_now, kcm_changes)
        result.setdefault("controllerManager", {})["extraArgs"] = _as_form(edited, kcm_src, result.get("apiVersion"))
    return result
