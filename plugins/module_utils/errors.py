# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The one exception type the collection's domain rules raise.

Filters turn it into ``AnsibleFilterError`` and modules into ``fail_json``; the
message is written for an operator: it names the offending value, the rule (with
the key words of the upstream Kubernetes error text where one exists) and the fix.
"""

from __future__ import annotations


class DualStackError(ValueError):
    """A value breaks a dual-stack rule; ``str(err)`` is the operator-facing message."""
