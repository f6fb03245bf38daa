# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which kube-controller-manager leads, and whether it has led long enough for its flags to be trusted.

Only the instance that holds the ``kube-system/kube-controller-manager`` Lease runs controllers
(client-go ``tools/leaderelection``); the others answer ``/healthz`` whatever their flags, and the
node IPAM controller validates ``--cluster-cidr`` and the node masks only when it starts in the
leader. A bad edit therefore shows only once the new leader started its controllers, up to a lease
duration after the restart (review finding H2). So after the edit on every control plane the run
waits until one instance holds the Lease, alive and for a full lease duration, then checks that
instance's process and log.

* The holder's identity is ``<hostname>_<uuid>`` (``cmd/kube-controller-manager/app/controllermanager.go``:
  ``id = id + "_" + string(uuid.NewUUID())``), the host being the node it runs on.
* Held a full duration: ``renewTime - acquireTime >= leaseDurationSeconds`` (both written by the holder).
* Alive: ``renewTime`` no older than the lease duration plus :data:`CLOCK_SLACK` seconds on this clock
  (a holder that died keeps its last renewTime until another instance takes over).
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Iterable, Mapping, Optional

#: Seconds of clock difference allowed between this machine and the leader's when telling whether it is alive.
CLOCK_SLACK = 15


def parse_time(text: Any) -> Optional[datetime.datetime]:
    """An RFC 3339 time of a Lease (``MicroTime``: ``2026-12-05T04:50:07.448415Z``), or None; one without a zone
    (Ansible's ``now(utc=true)``) is UTC."""
    if not text:
        return None
    value = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def holder_host(identity: Any) -> str:
    """The host part of a leader identity ``<hostname>_<uuid>`` (the whole identity when it has no ``_``)."""
    text = str(identity or "")
    return text.rsplit("_", 1)[0] if "_" in text else text


def leader_state(lease: Mapping[str, Any], hosts: Iterable[str], now: Any,
                 started: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """What the Lease says about the leader: ``host``, ``identity``, ``held`` and ``duration`` (seconds),
    ``alive``, and ``settled`` (alive, held a full duration, on one of ``hosts``), with a ``message``.

    ``started`` maps a host to when its controller-manager process now running started (RFC 3339, the host's clock,
    as the Lease's times): a Lease of that host acquired before it is the previous process's, still renewed for up to
    a lease duration after the restart, so not settled. (Seen on the lab: right after the edit the gate found the
    old process's Lease, and the new process's log had no node IPAM yet.)"""
    spec = lease.get("spec") or {}
    identity = spec.get("holderIdentity") or ""
    duration = int(spec.get("leaseDurationSeconds") or 15)
    acquired, renewed = parse_time(spec.get("acquireTime")), parse_time(spec.get("renewTime"))
    current = now if isinstance(now, datetime.datetime) else parse_time(now)
    host = holder_host(identity)
    held = (renewed - acquired).total_seconds() if acquired and renewed else 0.0
    alive = bool(renewed and current and (current - renewed).total_seconds() <= duration + CLOCK_SLACK)
    known = host in set(hosts)
    began = parse_time((started or {}).get(host))
    previous = bool(began and acquired and acquired < began)
    if not identity:
        message = "no kube-controller-manager holds the Lease"
    elif not alive:
        message = "%s last renewed the Lease at %s: not alive" % (identity, spec.get("renewTime"))
    elif not known:
        message = "the Lease is held by %s, whose host %s is not in kube_control_plane" % (identity, host)
    elif previous:
        message = "%s acquired the Lease at %s, before the controller-manager now running on %s started (%s): the " \
                  "previous process's" % (identity, spec.get("acquireTime"), host, (started or {}).get(host))
    elif held < duration:
        message = "%s has held the Lease for %.0f s of %d" % (identity, held, duration)
    else:
        message = "%s has held the Lease for %.0f s (lease duration %d s)" % (identity, held, duration)
    return {"identity": identity, "host": host, "held": held, "duration": duration, "alive": alive,
            "settled": bool(identity) and alive and known and not previous and held >= duration, "message": message}


def node_ipam_expected(flags: Mapping[str, Any]) -> bool:
    """Whether kube-controller-manager with ``flags`` starts the node IPAM controller: ``--allocate-node-cidrs=true``
    and ``nodeipam`` not disabled in ``--controllers`` (``-nodeipam``; the default ``*`` enables it)."""
    if str(flags.get("allocate-node-cidrs", "false")).lower() != "true":
        return False
    controllers = [c.strip() for c in str(flags.get("controllers") or "*").split(",")]
    return "-nodeipam" not in controllers and ("*" in controllers or "nodeipam" in controllers)
