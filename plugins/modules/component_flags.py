#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: component_flags
short_description: Set and remove command-line flags of a Kubernetes component
version_added: 1.0.0
author:
  - Contributors to the dualstack.kubernetes collection (!UNKNOWN)
description:
  - Sets and removes command-line flags of a Kubernetes component, idempotently, in the file
    that holds its command line.
  - "The file format is detected from its content: a static Pod manifest (YAML, C(kind: Pod),
    such as C(/etc/kubernetes/manifests/kube-apiserver.yaml)), an environment file
    (C(NAME=\"--flag=value ...\") lines, such as C(/var/lib/kubelet/kubeadm-flags.env)) or a
    systemd unit (a C([Service]) section with C(ExecStart=)), as hand-installed clusters use."
  - "In a manifest the flags are the words of the container's C(command) followed by its
    C(args); new flags go at the end of C(args) when the container has one, else of C(command).
    They are written C(--name=value)."
  - In an environment file the flags are the words of one variable; every byte of the file
    outside that value is kept. An unquoted value that grows to several words gets double quotes.
  - In a systemd unit the flags are the words of the last non-empty C(ExecStart=) of the
    C([Service]) section (an empty C(ExecStart=) in a drop-in only resets the list). The
    continuation-line layout is kept; new flags go at the end, one per continuation line when the
    command line spans several lines, else on the same line.
  - "Flags are read as Kubernetes components (spf13/pflag) read them: C(--name=value),
    C(--name value) as two words, a bare boolean C(--name) (meaning C(true)) and C(-n=value).
    Names compare with C(_) read as C(-), as Kubernetes normalises them."
  - An existing flag keeps its position and its style (C(--name value) stays two words; a bare
    boolean flag stays bare when set to C(true) and becomes C(--name=false) otherwise). New flags
    are appended.
  - "A flag given more than once is set by each occurrence: the last value wins for scalar flags
    and slice flags collect all values. Setting such a flag leaves exactly one occurrence, the last
    one, in its place; removing a flag removes every occurrence."
  - The file is rewritten only when a flag changes, through a temporary file in the same
    directory and an atomic rename that keeps its owner, group and mode (manifests are 0600).
  - "A manifest is edited as data and written back with its key order and indentation
    (kubeadm's style: two spaces, list items at their key's column), so a kubeadm-written
    manifest stays byte-identical outside the edited flags; YAML comments are not kept."
  - Values of flags whose name contains C(token), C(password), C(passwd) or C(secret) (and does
    not end in C(file), C(dir) or C(path)) are masked in the module's output.
options:
  path:
    description:
      - The file that holds the component's command line. A symbolic link is followed and its
        target is edited.
      - One of O(path) and O(unit) is required.
    type: path
  unit:
    description:
      - "Instead of O(path): the systemd service whose command line to edit, such as
        C(kube-apiserver) or C(kubelet) (C(.service) may be left out). Its unit file and drop-ins
        come from C(systemctl show) (C(FragmentPath), C(DropInPaths)), in systemd's order."
      - "The command line is the last non-empty C(ExecStart=) with each C($NAME) word replaced
        by the variable's words from C(EnvironmentFile=) or C(Environment=), as systemd expands it.
        kubeadm's kubelet (C(10-kubeadm.conf) running C($KUBELET_KUBEADM_ARGS) from
        C(/var/lib/kubelet/kubeadm-flags.env)) and hand-installed units read the same way."
      - "A flag to set is edited where it is set last (the occurrence that counts); a new flag
        goes on the C(ExecStart=) line when that line holds flags, else into the first variable
        read from an environment file; a flag to remove goes from every place. A flag held in an
        C(Environment=) value of a unit is never edited: the module fails and says so."
      - "After a change, run C(systemctl daemon-reload) when RV(daemon_reload) is true, and restart
        the service."
    type: str
  flags:
    description:
      - The flags to set or remove, name (without leading dashes) to value.
      - A string or number is written as is; C(true)/C(false) as C(true)/C(false); a list is
        comma-joined (C([a, b]) gives C(a,b)); a mapping is written C(key=value) pairs
        comma-joined, as C(--feature-gates) takes them.
      - A C(null) value removes the flag (every occurrence of it).
      - In environment files and systemd units a value cannot contain whitespace, quotes or
        backslashes.
      - With no flags the module only reads the file and returns its flags in RV(flags).
    type: dict
    default: {}
  container:
    description:
      - Manifests only. The name of the container whose command line to edit.
      - The default is the first container of the Pod.
    type: str
  env_var:
    description:
      - Environment files only. The variable that holds the flags, such as C(KUBELET_KUBEADM_ARGS).
      - The default is the only variable of the file; a file with several variables needs it.
      - When the variable is assigned more than once the last assignment is edited, as it is the
        one that counts.
    type: str
  backup:
    description:
      - Keep a copy of the original file, with a timestamp in its name, when the file changes.
      - "The copy of a manifest starts with a dot (C(.kube-apiserver.yaml.PID.DATE@TIME~)): the
        kubelet ignores such names, while any other file in its manifest directory would start a
        second copy of the Pod."
    type: bool
    default: false
notes:
  - Check mode reports what would change without writing the file.
  - "Diff mode shows the file before and after; for an environment file it shows only the line of
    the flags variable, so the file's other variables are never echoed."
  - Editing a static Pod manifest makes the kubelet restart that Pod; editing a unit needs a
    C(systemctl daemon-reload) and a restart; editing C(kubeadm-flags.env) needs a kubelet restart.
  - Reading manifests needs PyYAML on the managed host (C(python3-yaml)).
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
seealso:
  - name: Command-line tools reference (kube-apiserver, kube-controller-manager, kubelet)
    description: The flags each Kubernetes component accepts.
    link: https://kubernetes.io/docs/reference/command-line-tools-reference/
"""

EXAMPLES = r"""
- name: Give kube-apiserver a dual-stack Service range
  dualstack.kubernetes.component_flags:
    path: /etc/kubernetes/manifests/kube-apiserver.yaml
    flags:
      service-cluster-ip-range:
        - 10.96.0.0/12
        - fd00:10:96::/108
    backup: true

- name: Switch kube-controller-manager to dual-stack in one write (cluster CIDRs, masks, legacy mask removed)
  dualstack.kubernetes.component_flags:
    path: /etc/kubernetes/manifests/kube-controller-manager.yaml
    container: kube-controller-manager
    flags:
      cluster-cidr: 10.244.0.0/16,fd00:10:244::/56
      service-cluster-ip-range: 10.96.0.0/12,fd00:10:96::/108
      node-cidr-mask-size-ipv4: 24
      node-cidr-mask-size-ipv6: 64
      node-cidr-mask-size: null

- name: Give the kubelet both node addresses
  dualstack.kubernetes.component_flags:
    path: /var/lib/kubelet/kubeadm-flags.env
    env_var: KUBELET_KUBEADM_ARGS
    flags:
      node-ip: "{{ [ansible_default_ipv4.address, ansible_default_ipv6.address] }}"
  notify: Restart kubelet

- name: Patch a hand-installed kube-apiserver unit
  dualstack.kubernetes.component_flags:
    path: /etc/systemd/system/kube-apiserver.service
    flags:
      service-cluster-ip-range: 10.32.0.0/24,fd00:10:32::/108
      allow-privileged: true
  register: apiserver_unit

- name: Give a hand-installed kubelet both node addresses, wherever its unit keeps --node-ip
  dualstack.kubernetes.component_flags:
    unit: kubelet
    flags:
      node-ip: 192.168.77.21,fd00:77::21
    backup: true
  register: kubelet_unit

- name: Read the kube-proxy flags of a hand-installed node (nothing changes)
  dualstack.kubernetes.component_flags:
    path: /etc/systemd/system/kube-proxy.service
  register: kube_proxy_unit

- name: Reload systemd and restart kube-apiserver after a unit change
  ansible.builtin.systemd_service:
    name: kube-apiserver
    state: restarted
    daemon_reload: true
  when: apiserver_unit is changed
"""

RETURN = r"""
flags:
  description:
    - Every flag of the resulting command line, name (C(-) separated, no leading dashes) to value.
    - A bare boolean flag reads C(true); a flag given twice reads its last value.
    - Values of secret-looking flags are masked.
  returned: success
  type: dict
  sample:
    service-cluster-ip-range: 10.96.0.0/12,fd00:10:96::/108
    allow-privileged: "true"
path:
  description: The file read (and edited), symbolic links resolved.
  returned: success and O(path) given
  type: str
  sample: /etc/kubernetes/manifests/kube-apiserver.yaml
format:
  description: The detected format of the file, one of C(manifest), C(env) or C(systemd).
  returned: success
  type: str
  sample: manifest
backup_file:
  description:
    - The copy of the original file, when O(backup=true) and the file changed.
    - With O(unit), the copy of the first file that changed (RV(files) lists every copy).
  returned: changed and O(backup=true)
  type: str
  sample: /etc/kubernetes/manifests/.kube-apiserver.yaml.12345.2026-11-24@17:30:00~
unit:
  description: With O(unit), the unit's full name.
  returned: success and O(unit) given
  type: str
  sample: kube-apiserver.service
files:
  description:
    - With O(unit), every file that holds part of the command line, in command-line order, each with
      C(path), C(env_var) (the variable, or null for the C(ExecStart=) line), C(kind)
      (C(exec), C(env) or C(inline)), C(changed) and, when written with O(backup=true), C(backup_file).
  returned: success and O(unit) given
  type: list
  elements: dict
  sample:
    - path: /etc/systemd/system/kube-apiserver.service
      env_var: null
      kind: exec
      changed: true
      backup_file: /etc/systemd/system/kube-apiserver.service.12345.2026-11-24@17:30:00~
daemon_reload:
  description: With O(unit), whether a unit file or drop-in changed (so systemd must reload them).
  returned: success and O(unit) given
  type: bool
  sample: true
restart_needed:
  description:
    - With O(unit), whether the service must be restarted to run with its files as they are now - because
      this call changed them, because it does not run, or because one of its files (unit, drop-ins,
      environment files, the file of its C(--config) flag) changed after its process started, as after an
      interrupted run that wrote them but never restarted it.
  returned: success and O(unit) given
  type: bool
  sample: false
"""

import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.dualstack.kubernetes.plugins.module_utils.flag_words import (
    ComponentFlagsError,
    flags_map,
    normalize_changes,
    secret_values,
    secret_words,
)
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flags_envfile import patch_env_text
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flags_format import detect_format, patch_text
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flags_manifest import HAS_YAML
from ansible_collections.dualstack.kubernetes.plugins.module_utils.flags_systemd import patch_systemd_text
from ansible_collections.dualstack.kubernetes.plugins.module_utils.units import (
    EXEC,
    command_sources,
    command_words,
    process_start_time,
    restart_needed,
    route_changes,
    unit_layout,
)

#: Values too common to mask everywhere in the output (Ansible masks every occurrence).
_UNMASKABLE = frozenset(("", "true", "false"))


def _read(module: AnsibleModule, path: str, shown: str) -> str:
    """Return the file's text, or fail naming the path (as given: ``shown``) and the fix."""
    problem = None
    if not os.path.exists(path):
        problem = ("no such file; expected the file that holds the component's flags "
                   "(a static Pod manifest, an environment file or a systemd unit): check path")
    elif not os.path.isfile(path):
        problem = "not a regular file; point path at the file that holds the component's flags"
    else:
        try:
            with open(path, "rb") as handle:
                return to_text(handle.read(), errors="strict")
        except UnicodeError:
            problem = "not UTF-8 text; expected a static Pod manifest, an environment file or a systemd unit"
        except OSError as err:
            problem = "cannot read the file (%s): check its permissions" % to_native(err)
    module.fail_json(msg="%s: %s" % (shown, problem))
    return ""  # not reached: fail_json exits


def _backup(module: AnsibleModule, path: str, fmt: str) -> str:
    """Copy the file before it changes; return the copy's name.

    The kubelet reads every file of its manifest directory whose name does not start
    with a dot (``filepath.Glob(dir + "/[^.]*")``), so a backup there named by
    ``backup_local`` would start a second copy of the Pod. Manifests get the same name
    with a leading dot instead; other formats use ``backup_local``.
    """
    if fmt != "manifest":
        return module.backup_local(path)
    stamp = time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime(time.time()))
    dest = os.path.join(os.path.dirname(path), ".%s.%s.%s" % (os.path.basename(path), os.getpid(), stamp))
    try:
        module.preserved_copy(path, dest)
    except (shutil.Error, OSError) as err:
        module.fail_json(msg="%s: could not make a backup copy at %s: %s" % (path, dest, to_native(err)))
    return dest


def _write(module: AnsibleModule, path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically, keeping the file's owner, group and mode."""
    directory = os.path.dirname(path) or "."
    # A leading dot keeps the kubelet from reading the temporary file as a manifest.
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_bytes(text, errors="surrogate_or_strict"))
            handle.flush()
            os.fsync(handle.fileno())
        # atomic_move copies owner, group, mode and SELinux context from the file it replaces.
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _mask(module: AnsibleModule, values) -> None:
    """Keep secret flag values out of every output of the module."""
    for value in values:
        if value not in _UNMASKABLE:
            module.no_log_values.add(value)


def _unit_files(module: AnsibleModule, unit: str):
    """Return ``[(path, text)]`` of the unit file and its drop-ins, as systemd loaded them."""
    name = unit if "." in unit else unit + ".service"
    systemctl = module.get_bin_path("systemctl", required=True)
    rc, out, err = module.run_command([systemctl, "show", name, "-p", "LoadState", "-p", "FragmentPath", "-p", "DropInPaths"])
    props = dict(line.partition("=")[::2] for line in out.splitlines())
    if rc != 0 or props.get("LoadState") != "loaded" or not props.get("FragmentPath"):
        module.fail_json(msg="%s: no such systemd unit (LoadState=%s%s): check the unit name, or give path "
                             "to the file that holds the component's flags"
                             % (name, props.get("LoadState", "?"), ("; " + err.strip()) if err.strip() else ""))
    paths = [props["FragmentPath"]] + props.get("DropInPaths", "").split()
    return name, [(path, _read(module, path, path)) for path in paths]


def _service_started(module: AnsibleModule, name: str):
    """Return when the service's main process started (epoch seconds), or None if it does not run."""
    systemctl = module.get_bin_path("systemctl", required=True)
    rc, out, _err = module.run_command([systemctl, "show", name, "-p", "MainPID", "--value"])
    pid = out.strip()
    if rc != 0 or not pid.isdigit() or pid == "0":
        return None
    try:
        with open("/proc/%s/stat" % pid) as handle:
            proc_stat = handle.read()
        return process_start_time(proc_stat, time.time(), time.clock_gettime(time.CLOCK_BOOTTIME), os.sysconf("SC_CLK_TCK"))
    except (OSError, IndexError, ValueError):
        return None


def _run_unit(module: AnsibleModule, changes) -> None:
    """Edit the flags of a systemd service wherever its command line holds them."""
    name, unit_files = _unit_files(module, module.params["unit"])
    unit_texts = dict(unit_files)
    diffs = []
    try:
        layout = unit_layout(unit_files)
        texts = dict(unit_texts)
        for path, _optional in layout.environment_files:
            if path not in texts:
                texts[path] = _read(module, path, path) if os.path.isfile(path) else None
        sources = command_sources(layout, texts)
        routed = route_changes(sources, changes)
        new_texts = dict(texts)
        for index in sorted(routed):
            source = sources[index]
            if source.kind == EXEC:
                result = patch_systemd_text(new_texts[source.path], routed[index])
            else:
                result = patch_env_text(new_texts[source.path], routed[index], source.env_var)
            _mask(module, result.secrets)
            new_texts[source.path] = result.text
            if result.changed:
                # An environment file's diff holds only the edited variable's line.
                diffs.append(dict(before=result.diff_before, after=result.diff_after,
                                  before_header=source.path, after_header=source.path))
        new_sources = command_sources(unit_layout([(path, new_texts[path]) for path in unit_texts]), new_texts)
    except ComponentFlagsError as err:
        module.fail_json(msg="%s: %s" % (name, err))
    new_words = command_words(new_sources)
    new_flags = flags_map(new_words)
    _mask(module, secret_words(command_words(sources) + new_words))
    changed_paths = [path for path in new_texts if new_texts[path] != texts[path]]
    backups = {}
    if changed_paths and not module.check_mode:
        for path in changed_paths:
            if module.params["backup"]:
                backups[path] = _backup(module, path, "systemd")
            _write(module, path, new_texts[path])
    files = [dict(path=s.path, env_var=s.env_var, kind=s.kind, changed=s.path in changed_paths,
                  **({"backup_file": backups[s.path]} if s.path in backups else {})) for s in sources]
    output = dict(changed=bool(changed_paths), flags=new_flags, format="systemd", unit=name, files=files,
                  daemon_reload=any(path in unit_texts for path in changed_paths))
    # Files whose change the running process has not seen yet: the unit's, its environment
    # files', and the file of its --config flag.
    watched = [path for path in new_texts if new_texts[path] is not None]
    watched += [new_flags["config"]] if "config" in new_flags else []
    mtimes = [os.stat(path).st_mtime for path in watched if os.path.exists(path)]
    output["restart_needed"] = bool(changed_paths) or restart_needed(_service_started(module, name), mtimes)
    if backups:
        output["backup_file"] = backups[changed_paths[0]]
    if module._diff:
        output["diff"] = diffs
    module.exit_json(**output)


def main() -> None:
    """Set and remove the flags, write the file when they changed, report the result."""
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path"),
            unit=dict(type="str"),
            flags=dict(type="dict", default={}),
            container=dict(type="str"),
            env_var=dict(type="str"),
            backup=dict(type="bool", default=False),
        ),
        required_one_of=[("path", "unit")],
        mutually_exclusive=[("path", "unit"), ("unit", "container"), ("unit", "env_var")],
        supports_check_mode=True,
    )
    shown = module.params["path"] or module.params["unit"]
    try:
        changes = normalize_changes(module.params["flags"])
    except ComponentFlagsError as err:
        module.fail_json(msg="%s: %s" % (shown, err))
    _mask(module, secret_values(changes))
    if module.params["unit"]:
        _run_unit(module, changes)
    path = os.path.realpath(shown)

    text = _read(module, path, shown)
    try:
        if detect_format(text) == "manifest" and not HAS_YAML:
            module.fail_json(msg="%s: %s" % (shown, missing_required_lib("PyYAML")))
        result = patch_text(text, changes, module.params["container"], module.params["env_var"])
    except ComponentFlagsError as err:
        module.fail_json(msg="%s: %s" % (shown, err))

    _mask(module, result.secrets)

    output = dict(changed=result.changed, flags=result.flags, format=result.format, path=path)
    if module._diff:
        output["diff"] = dict(
            before=result.diff_before,
            after=result.diff_after,
            before_header=path,
            after_header=path,
        )
    if result.changed and not module.check_mode:
        if module.params["backup"]:
            output["backup_file"] = _backup(module, path, result.format)
        _write(module, path, result.text)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
