# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The one exception type the collection's domain rules raise.

Filters turn it into ``AnsibleFilterError`` and modules into ``fail_json``; the
message is written for an operator: it names the offending value, the rule (with
the key words of the upstream Kubernetes error text where one exists) and the fix.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, TypeVar

T = TypeVar("T")


class DualStackError(ValueError):
    """A value breaks a dual-stack rule; ``str(err)`` is the operator-facing message."""


class ErrorList:
    """Rules checked independently, their errors reported together (kubeadm's ``field.ErrorList`` way).

    ``check(rule, *args)`` runs a rule and returns its result, or records its ``DualStackError`` and
    returns None (a rule that depends on that result is then skipped by its caller);
    ``raise_if_any()`` raises one ``DualStackError`` naming every recorded problem, so three
    mistakes take one run, not three.
    """

    def __init__(self) -> None:
        self.messages: List[str] = []

    def check(self, rule: Callable[..., T], *args: Any, **kwargs: Any) -> Optional[T]:
        try:
            return rule(*args, **kwargs)
        except DualStackError as err:
            self.add(str(err))
            return None

    def add(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)

    def raise_if_any(self) -> None:
        if len(self.messages) == 1:
            raise DualStackError(self.messages[0])
        if self.messages:
            raise DualStackError("%d problems, each to fix before anything changes: %s" % (
                len(self.messages), " ".join("(%d) %s." % (i, m.rstrip(".")) for i, m in enumerate(self.messages, 1))))
