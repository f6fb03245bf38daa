# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Rules that compare the running cluster's ranges with the dual-stack target.

These need what preflight reads from the hosts (current flags, sysctls); the target-only rules
live in :mod:`plan` and :mod:`cidrs`, node addresses in :mod:`node_addresses`.
"""

from __future__ import annotations

from typing import Any, Callable, List, Mapping, Tuple

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cidrs import (
    dualstack_cidrs,
    parse_cidr,
    split_cidr_list,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


def check_keeps_current(current: Any, target: Any, what: str, flag: str) -> List[str]:
    """The target must keep the current ranges, in place and in order, and may only add a family.

    KEP-563: "the first element of the --service-cluster-ip-range flag MUST NOT change IP
    families" and "Users can only add an alternative ip family to existing CIDRs"; a changed
    primary pod range makes kube-controller-manager crash-loop with "failed to mark cidr[..]
    at idx [0] as occupied".
    """
    kind = "service" if flag == "--service-cluster-ip-range" else "pod"
    now = dualstack_cidrs(current, kind=kind, kube_version="1.34") if current not in (None, "", []) else []
    wanted = dualstack_cidrs(target, kind=kind, kube_version="1.34")
    if not now:
        raise DualStackError(
            "the cluster's current %s (%s) could not be read: preflight found no value on the control "
            "plane; set it explicitly or check the component manifests" % (what, flag)
        )
    for index, network in enumerate(now):
        if index >= len(wanted) or wanted[index] != network:
            raise DualStackError(
                "target %s %s does not keep the current %s[%d]=%s: existing ranges must stay unchanged and in "
                "order (KEP-563: the first element MUST NOT change IP families; kube-controller-manager would "
                "fail with 'failed to mark cidr[...] at idx [%d] as occupied'). Use %s"
                % (what, ",".join(wanted), flag, index, network, index,
                   ",".join(now + [w for w in wanted if parse_cidr(w).version not in {parse_cidr(n).version for n in now}]))
            )
    return wanted


def check_control_planes_agree(values: Mapping[str, Any], flag: str, key: Callable[[Any], Any] = str) -> Any:
    """Every control-plane node must run the same value of ``flag`` (apiservers share one ServiceCIDR).

    ``key`` picks what must agree of each value (default: the value as text); returns the agreed value.
    """
    distinct = {repr(key(value)): value for value in values.values()}
    if len(distinct) > 1:
        detail = ", ".join("%s: %s" % (host, key(values[host])) for host in sorted(values))
        raise DualStackError(
            "control-plane nodes disagree on %s (%s): all of them must run identical values; make them "
            "agree before converting" % (flag, detail)
        )
    return next(iter(distinct.values())) if distinct else None


def split_control_planes(values: Mapping[str, Any], flag: str) -> Tuple[Any, Any]:
    """(single, dual): the values of ``flag`` the control planes run, agreed or split by an interrupted run.

    An HA rollout edits one control plane at a time, so a run killed (or an apiserver restored) between
    two of them leaves some on one range list and the others on that list with a second family added;
    the way back leaves the same split the other way. Both ``site.yml`` and ``rollback.yml`` must take
    over from there (review finding H1). Accepted: every control plane on one value (returned twice),
    or on two values where one is a single range and the other starts with it and adds a range of the
    other family. Anything else is refused, naming each host's value.
    """
    distinct = {str(value): value for value in values.values()}
    if len(distinct) <= 1:
        agreed = next(iter(distinct.values())) if distinct else None
        return agreed, agreed
    lists = sorted((split_cidr_list(v) if v not in (None, "") else [] for v in distinct.values()), key=len)
    if len(lists) == 2 and len(lists[0]) == 1 and len(lists[1]) == 2 and lists[1][0] == lists[0][0] \
            and parse_cidr(lists[1][1]).version != parse_cidr(lists[1][0]).version:
        return ",".join(lists[0]), ",".join(lists[1])
    detail = ", ".join("%s: %s" % (host, values[host]) for host in sorted(values))
    raise DualStackError(
        "control-plane nodes disagree on %s (%s): each must run either the single-stack value or that value with a "
        "range of the other family added (what an interrupted conversion or rollback leaves); make them agree "
        "before converting" % (flag, detail)
    )


def current_pod_cidrs(flags: Mapping[str, Any], service: Any, ippools: Any) -> Any:
    """The pod range the cluster runs: kube-controller-manager's ``--cluster-cidr``, else the CNI's IP pool.

    Calico IPAM needs no ``--cluster-cidr`` (kubeadm without ``networking.podSubnet``); its enabled
    pool of the cluster's primary family (the Service range's) is the pod range then (review
    finding M8: such clusters used to fail with "'None' is not a CIDR").
    """
    agreed = split_control_planes(flags, "--cluster-cidr")[0] if flags else None
    if agreed not in (None, "", "None"):
        return agreed
    primary = parse_cidr(split_cidr_list(service)[0]).version
    pools = [p for p in ippools or [] if not (p.get("spec") or {}).get("disabled")
             and (p.get("spec") or {}).get("cidr") and parse_cidr(p["spec"]["cidr"]).version == primary]
    if len(pools) == 1:
        return pools[0]["spec"]["cidr"]
    if pools:
        raise DualStackError(
            "kube-controller-manager runs without --cluster-cidr and Calico has %d enabled IPv%d pools (%s): the current "
            "pod range is ambiguous. Set --cluster-cidr (kubeadm: networking.podSubnet) to the range that holds them"
            % (len(pools), primary, ", ".join("%s %s" % (p["metadata"]["name"], p["spec"]["cidr"]) for p in pools))
        )
    raise DualStackError(
        "kube-controller-manager runs without --cluster-cidr and no CNI IP pool of the primary family (IPv%d) was found, "
        "so the cluster's current pod range is unknown. Set --cluster-cidr (kubeadm: networking.podSubnet) to the range "
        "pods use today, or run Calico with its IPv%d IPPool" % (primary, primary)
    )


def check_ipv6_enabled(host: str, disable_ipv6: Any) -> None:
    """``net.ipv6.conf.all.disable_ipv6`` must be 0 on every node."""
    if str(disable_ipv6).strip() != "0":
        raise DualStackError(
            "node %s has IPv6 disabled (net.ipv6.conf.all.disable_ipv6=%s): set it to 0 (sysctl and the boot "
            "configuration) before converting" % (host, str(disable_ipv6).strip())
        )
