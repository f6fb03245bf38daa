# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Turn a domain rule into a Jinja filter: domain errors become ``AnsibleFilterError``."""

from __future__ import annotations

import functools
from typing import Any, Callable

from ansible.errors import AnsibleFilterError

from ansible_collections.dualstack.kubernetes.plugins.module_utils.errors import DualStackError


def as_filter(name: str, rule: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``rule`` so that a ``DualStackError`` surfaces as ``AnsibleFilterError`` named after the filter."""

    @functools.wraps(rule)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return rule(*args, **kwargs)
        except DualStackError as err:
            raise AnsibleFilterError("%s: %s" % (name, err)) from None
        except TypeError as err:
            raise AnsibleFilterError("%s: wrong arguments: %s" % (name, err)) from None

    return wrapper
