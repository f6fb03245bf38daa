# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The default ServiceCIDR ``kubernetes`` after the apiservers' restart (Kubernetes 1.33+).

The kube-apiserver's default-ServiceCIDR controller (pkg/controlplane/controller/defaultservicecidr) widens the
object from single- to dual-stack when its flags keep the primary range (k8s PR #131263), sets ``Ready=True``
when the object matches its flags, and otherwise only records a Warning event on the object:
``KubernetesDefaultServiceCIDRError`` (the update or the status could not be written) or
``KubernetesDefaultServiceCIDRInconsistent`` (its flags and the object differ: an apiserver not yet restarted,
or one given other ranges). Neither makes ``/readyz`` fail, so the conversion checks the object itself: its
``spec.cidrs`` are the plan's Service ranges and it is Ready, with no error event since the run started and
no inconsistency since the last apiserver came back. With several control planes, two restarted apiservers may
both try the single- to dual-stack update from their cache; the one that loses gets a Conflict and records an
error event, and its next sync (10 s later) finds the object updated (``sync`` of
default_servicecidr_controller.go). Such a conflict is no problem once the object lists the plan's ranges
and is Ready; any other error event is.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence

ERROR_REASON = "KubernetesDefaultServiceCIDRError"
#: apierrors' Conflict message (StatusReasonConflict), inside the error event of an update another apiserver won.
CONFLICT_WORDS = "the object has been modified"
INCONSISTENT_REASON = "KubernetesDefaultServiceCIDRInconsistent"


def _time(value: Any) -> Optional[datetime]:
    """An RFC 3339 time (``2026-12-05T21:00:00Z``, fractions and offsets allowed); zone-less is UTC."""
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def event_time(event: Mapping[str, Any]) -> Optional[datetime]:
    """The latest of an Event's times (``lastTimestamp``, ``eventTime``, ``series.lastObservedTime``, creation)."""
    times = [_time(event.get("lastTimestamp")), _time(event.get("eventTime")),
             _time((event.get("series") or {}).get("lastObservedTime")),
             _time(event.get("firstTimestamp")), _time((event.get("metadata") or {}).get("creationTimestamp"))]
    found = [t for t in times if t is not None]
    return max(found) if found else None


def warnings_since(events: Any, reason: str, since: Any) -> List[str]:
    """The events of ``reason`` at or after ``since`` (all when ``since`` is empty), as ``time: message`` lines."""
    items = events.get("items", []) if isinstance(events, Mapping) else list(events or [])
    start = _time(since)
    out = []
    for event in items:
        when = event_time(event)
        if event.get("reason") == reason and (start is None or (when is not None and when >= start)):
            out.append("%s %s: %s" % (when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else "?", reason,
                                      str(event.get("message", "")).strip()))
    return out


def ready_condition(obj: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return None


def default_service_cidr_check(obj: Any, wanted: Sequence[str], events: Any = None, started: Any = "",
                               settled: Any = "") -> Dict[str, Any]:
    """Where the default ServiceCIDR stands against the plan's Service ranges ``wanted``.

    ``obj`` is ``kubectl get servicecidr kubernetes -o json`` ({} or None when absent), ``events`` its Events,
    ``started`` when the run started (error events from then on count), ``settled`` when the last apiserver came
    back (inconsistency events from then on count; older ones came from apiservers not yet restarted). Returns
    ``ready`` (the object lists ``wanted`` and is Ready=True), ``message`` (where it stands) and ``problems``.
    """
    obj = obj or {}
    cidrs = list((obj.get("spec") or {}).get("cidrs") or [])
    condition = ready_condition(obj) if obj else None
    if not obj:
        ready, message = False, "the default ServiceCIDR kubernetes does not exist (yet)"
    elif cidrs != list(wanted):
        ready, message = False, "ServiceCIDR kubernetes lists %s, the plan %s" % (", ".join(cidrs) or "nothing", ", ".join(wanted))
    elif not condition or condition.get("status") != "True":
        ready = False
        message = "ServiceCIDR kubernetes lists %s but is not Ready (%s)" % (", ".join(cidrs), (
            "%s: %s" % (condition.get("reason", ""), condition.get("message", ""))) if condition else "no Ready condition")
    else:
        ready, message = True, "ServiceCIDR kubernetes lists %s and is Ready" % ", ".join(cidrs)
    errors = warnings_since(events, ERROR_REASON, started)
    if ready:  # an update another apiserver won first: that apiserver's update is the object now
        errors = [line for line in errors if CONFLICT_WORDS not in line]
    problems = errors + warnings_since(events, INCONSISTENT_REASON, settled)
    return {"ready": ready, "message": message, "problems": problems}
