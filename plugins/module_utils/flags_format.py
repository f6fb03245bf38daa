# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""Which of the three places that hold a component's flags a file is, and the patcher for it.

Three places hold a component's flags:

* a static Pod manifest (``/etc/kubernetes/manifests/kube-apiserver.yaml``): the
  ``command`` (and ``args``) list of one container (:mod:`flags_manifest`);
* an environment file (``/var/lib/kubelet/kubeadm-flags.env``): the words of one
  variable, ``KUBELET_KUBEADM_ARGS="--a=b --c=d"`` (:mod:`flags_envfile`);
* a systemd unit (hand-installed clusters): the words of the ``ExecStart=`` line,
  usually one flag per continuation line (:mod:`flags_systemd`).

:func:`detect_format` tells them apart from the text alone and :func:`patch_text` applies the
wanted changes with the matching patcher; the flag rules are those of :mod:`flag_words`.
"""

from __future__ import annotations

import re
from typing import Dict, Optional

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flag_words import ComponentFlagsError, PatchResult
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flags_envfile import _ENV_LINE_RE, patch_env_text
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flags_manifest import patch_manifest_text
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flags_systemd import _find_service_execstarts, patch_systemd_text

#: The three formats :func:`detect_format` recognises.
FORMATS = ("manifest", "env", "systemd")
_YAML_HINT_RE = re.compile(r"^(?:apiVersion|kind)[ \t]*:", re.MULTILINE)


def detect_format(text: str) -> str:
    """Tell which of :data:`FORMATS` ``text`` is, from its content alone.

    * ``systemd``: a ``[Service]`` section with an ``ExecStart=`` line;
    * ``env``: every line that is not blank or a comment is ``NAME=value``;
    * ``manifest``: YAML with a top-level ``kind:`` or ``apiVersion:`` (or JSON).

    Raises :class:`ComponentFlagsError` for anything else.
    """
    if _find_service_execstarts(text.splitlines()):
        return "systemd"
    if re.search(r"^[ \t]*\[Service\][ \t]*$", text, re.MULTILINE):
        raise ComponentFlagsError(
            "this systemd unit has no ExecStart= in its [Service] section: point path at the unit "
            "(or drop-in) that holds the ExecStart= command line"
        )
    meaningful = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", ";"))]
    if meaningful and all(_ENV_LINE_RE.match(line) for line in meaningful):
        return "env"
    if _YAML_HINT_RE.search(text) or text.lstrip().startswith("{"):
        return "manifest"
    raise ComponentFlagsError(
        "cannot tell the file format: expected a static Pod manifest (YAML with kind: Pod), "
        "an environment file (NAME=\"--flag=value ...\" lines) or a systemd unit ([Service] with ExecStart=); "
        "point path at one of those"
    )


def patch_text(
    text: str,
    changes: Dict[str, Optional[str]],
    container: Optional[str] = None,
    env_var: Optional[str] = None,
) -> PatchResult:
    """Detect the format of ``text`` and apply ``changes`` with the matching patcher."""
    fmt = detect_format(text)
    if fmt == "manifest":
        return patch_manifest_text(text, changes, container)
    if fmt == "env":
        return patch_env_text(text, changes, env_var)
    return patch_systemd_text(text, changes)
