"""Unit tests of the pure pieces of dslab.build (no Go, no network)."""

from __future__ import annotations

import fcntl
import json
import re
import sys
import threading
import time
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from dslab import build  # noqa: E402

#: The staging modules of k8s.io/kubernetes 1.34 (its go.mod's replace block).
STAGING = [
    "api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go",
    "cloud-provider", "cluster-bootstrap", "code-generator", "component-base",
    "component-helpers", "controller-manager", "cri-api", "cri-client", "csi-translation-lib",
    "dynamic-resource-allocation", "endpointslice", "externaljwt", "kms", "kube-aggregator",
    "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl", "kubelet", "metrics",
    "mount-utils", "pod-security-admission", "sample-apiserver", "sample-cli-plugin",
    "sample-controller",
]

K8S_GOMOD = (
    "// This is a generated file. Do not edit directly.\n\n"
    "module k8s.io/kubernetes\n\ngo 1.25.0\n\ngodebug default=go1.24\n\n"
    "require (\n\tgithub.com/spf13/cobra v1.9.1\n\tk8s.io/api v0.0.0\n"
    "\tk8s.io/kube-openapi v0.0.0-20250710124328-f3f2b991d03b\n)\n\n"
    "replace (\n"
    + "".join(f"\tk8s.io/{m} => ./staging/src/k8s.io/{m}\n" for m in STAGING)
    + ")\n"
)

ETCD_GOMOD = """module go.etcd.io/etcd/server/v3

go 1.24

toolchain go1.24.7

require go.etcd.io/etcd/api/v3 v3.6.5

replace (
\tgo.etcd.io/etcd/api/v3 => ../api
\tgo.etcd.io/etcd/client/pkg/v3 => ../client/pkg
\tgo.etcd.io/etcd/client/v3 => ../client/v3 // client
\tgo.etcd.io/etcd/pkg/v3 => ../pkg
)

// Bad imports are sometimes causing attempts to pull that code.
replace go.etcd.io/etcd => ./FORBIDDEN_DEPENDENCY

replace go.etcd.io/tests/v3 => ./FORBIDDEN_DEPENDENCY
"""


def test_staging_version_maps_release_to_v0():
    assert build.staging_version("v1.34.12") == "v0.34.12"
    assert build.staging_version("v1.9.0") == "v0.9.0"
    with pytest.raises(ValueError):
        build.staging_version("1.34.12")
    assert build.staging_version("v1.38.0-beta.0") == "v0.38.0-beta.0"
    assert build.staging_version("v1.34.0-rc.1") == "v0.34.0-rc.1"
    with pytest.raises(ValueError):
        build.staging_version("v1.34.0-dirty")


def test_parse_replaces_reads_blocks_single_lines_and_comments():
    pairs = build.parse_replaces(ETCD_GOMOD)
    assert pairs == [
        ("go.etcd.io/etcd/api/v3", "../api"),
        ("go.etcd.io/etcd/client/pkg/v3", "../client/pkg"),
        ("go.etcd.io/etcd/client/v3", "../client/v3"),
        ("go.etcd.io/etcd/pkg/v3", "../pkg"),
        ("go.etcd.io/etcd", "./FORBIDDEN_DEPENDENCY"),
        ("go.etcd.io/tests/v3", "./FORBIDDEN_DEPENDENCY"),
    ]


def test_sibling_replaces_pins_local_siblings_and_drops_others():
    assert build.sibling_replaces(ETCD_GOMOD, "../", "v3.6.5") == {
        "go.etcd.io/etcd/api/v3": "go.etcd.io/etcd/api/v3 v3.6.5",
        "go.etcd.io/etcd/client/pkg/v3": "go.etcd.io/etcd/client/pkg/v3 v3.6.5",
        "go.etcd.io/etcd/client/v3": "go.etcd.io/etcd/client/v3 v3.6.5",
        "go.etcd.io/etcd/pkg/v3": "go.etcd.io/etcd/pkg/v3 v3.6.5",
    }


def test_sibling_replaces_keeps_the_required_version_of_a_sibling_of_another_major():
    gomod = ("module go.etcd.io/etcd/server/v3\n\nrequire (\n\tgo.etcd.io/etcd/api/v3 v3.5.24\n"
             "\tgo.etcd.io/etcd/client/v2 v2.305.24\n)\n\nreplace (\n\tgo.etcd.io/etcd/api/v3 => ../api\n"
             "\tgo.etcd.io/etcd/client/v2 => ../client/v2\n)\n")
    assert build.sibling_replaces(gomod, "../", "v3.5.24") == {
        "go.etcd.io/etcd/api/v3": "go.etcd.io/etcd/api/v3 v3.5.24",
        "go.etcd.io/etcd/client/v2": "go.etcd.io/etcd/client/v2 v2.305.24",
    }


def test_parse_requires_and_required_staging_modules():
    assert build.parse_requires(K8S_GOMOD) == {
        "github.com/spf13/cobra": "v1.9.1", "k8s.io/api": "v0.0.0",
        "k8s.io/kube-openapi": "v0.0.0-20250710124328-f3f2b991d03b"}
    assert build.parse_requires("module x\nrequire a/b v1.0.0 // indirect\n") == {"a/b": "v1.0.0"}
    assert build.required_staging_modules(K8S_GOMOD) == ["k8s.io/api"]


def test_go_directive_and_godebug():
    assert build.parse_go_directive(K8S_GOMOD) == "1.25.0"
    assert build.parse_go_directive(ETCD_GOMOD) == "1.24"
    assert build.parse_godebug(K8S_GOMOD) == ["default=go1.24"]
    assert build.parse_godebug("module x\n\ngodebug (\n\ta=1 // c\n\tb=2\n)\n") == ["a=1", "b=2"]
    with pytest.raises(ValueError):
        build.parse_go_directive("module x\n")


def test_kube_wrapper_gomod_has_a_replace_for_every_staging_module():
    text = build.kube_wrapper_gomod(K8S_GOMOD, "v1.34.12")
    lines = text.splitlines()
    assert lines[0] == "module dslab.local/build/kubernetes"
    assert "go 1.25.0" in lines
    assert "godebug default=go1.24" in lines
    assert "\tk8s.io/kubernetes v1.34.12" in lines
    replace_lines = [line for line in lines if "=>" in line]
    assert len(replace_lines) == len(STAGING) == 31
    for module in STAGING:
        assert f"\tk8s.io/{module} => k8s.io/{module} v0.34.12" in lines
    # sorted, so the text is stable from run to run
    assert replace_lines == sorted(replace_lines)
    assert "./staging" not in text


def test_kube_wrapper_gomod_with_source_copy_replaces_kubernetes_itself():
    text = build.kube_wrapper_gomod(K8S_GOMOD, "v1.34.12", "./src")
    assert "\tk8s.io/kubernetes => ./src" in text.splitlines()
    assert "\tk8s.io/kubernetes v1.34.12" in text.splitlines()
    assert len([line for line in text.splitlines() if "=>" in line]) == 32


def test_kube_wrapper_gomod_rejects_gomod_without_staging():
    with pytest.raises(ValueError):
        build.kube_wrapper_gomod("module k8s.io/kubernetes\n\ngo 1.25.0\n", "v1.34.12")


def test_wrapper_gomod_without_replaces_or_godebug():
    text = build.wrapper_gomod("w", "1.23.0", {"github.com/coredns/coredns": "v1.12.1"}, {})
    assert text == ("module w\n\ngo 1.23.0\n\nrequire (\n\tgithub.com/coredns/coredns v1.12.1\n)\n")


def test_kube_version_ldflags_sets_both_version_packages():
    flags = build.kube_version_ldflags("v1.34.12", "26c8915766", "2026-09-23T17:08:30Z")
    parts = flags.split(" -X ")
    assert parts[0] == "-s -w"
    expected = {
        "gitVersion": "v1.34.12", "gitMajor": "1", "gitMinor": "34", "gitCommit": "26c8915766",
        "gitTreeState": "clean", "buildDate": "2026-09-23T17:08:30Z",
    }
    wanted = {f"{pkg}.{k}={v}" for pkg in ("k8s.io/component-base/version",
                                           "k8s.io/client-go/pkg/version")
              for k, v in expected.items()}
    assert set(parts[1:]) == wanted
    assert len(parts[1:]) == 12
    with pytest.raises(ValueError):
        build.kube_version_ldflags("1.34", "x", "y")


def test_simple_ldflags():
    assert build.simple_ldflags(build.ETCD_VERSION_VAR, "abc") == \
        "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=abc"


def test_go_build_args_builds_all_seven_commands_in_one_invocation(tmp_path):
    args = build.go_build_args(build.KUBE_COMMANDS, tmp_path / "bin", "-s -w")
    assert args[:7] == ["build", "-v", "-trimpath", "-tags", "providerless", "-ldflags", "-s -w"]
    out = args.index("-o")
    assert args[out + 1] == str(tmp_path / "bin") + "/"
    assert args[out + 2:] == [f"k8s.io/kubernetes/cmd/{n}" for n in (
        "kubeadm", "kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
        "kube-proxy", "kubectl")]
    etcd = build.go_build_args(build.ETCD_COMMANDS, tmp_path, "-s")
    assert etcd[-2:] == ["go.etcd.io/etcd/server/v3", "go.etcd.io/etcd/etcdctl/v3"]


def test_go_output_name_handles_major_version_suffix():
    assert build.go_output_name("k8s.io/kubernetes/cmd/kube-apiserver") == "kube-apiserver"
    assert build.go_output_name("go.etcd.io/etcd/server/v3") == "server"
    assert build.go_output_name("go.etcd.io/etcd/etcdctl/v3") == "etcdctl"
    assert build.go_output_name("github.com/coredns/coredns") == "coredns"


def test_compiled_packages_counts_go_build_v_lines(tmp_path):
    log = tmp_path / "build.log"
    log.write_text("old line\n")
    offset = log.stat().st_size
    with log.open("a") as fh:
        fh.write("$ go build -v ...\ngo: downloading k8s.io/api v0.34.12\n"
                 "k8s.io/api/core/v1\nk8s.io/kubernetes/cmd/kubeadm\n# some/pkg\n\terror\n")
    assert build.compiled_packages(log, offset) == 2
    assert build.compiled_packages(log) == 3


def test_run_go_reports_progress_while_waiting(tmp_path, monkeypatch):
    fake_go = tmp_path / "go"
    fake_go.write_text("#!/bin/sh\nsleep 0.35\necho \"$@\"\n")
    fake_go.chmod(0o755)
    monkeypatch.setenv("DUALSTACK_LAB_GO", str(fake_go))
    monkeypatch.setattr(build, "PROGRESS_EVERY", 0.1)
    ticks: list[float] = []
    log = tmp_path / "go.log"
    build.run_go(["version"], tmp_path, tmp_path, log, ticks.append)
    assert len(ticks) >= 2
    assert log.read_text().splitlines()[-1] == "version"
    fake_go.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    with pytest.raises(RuntimeError, match="broken"):
        build.run_go(["build"], tmp_path, tmp_path, log)


def test_kubeadm_component_versions_and_etcd_module_version():
    constants = '''
\tDefaultEtcdVersion = "3.6.5-0"
\tCoreDNSVersion = "v1.12.1"
\tPauseVersion = "3.10.1"
'''
    assert build.kubeadm_component_versions(constants) == {
        "etcd": "3.6.5-0", "coredns": "v1.12.1", "pause": "3.10.1"}
    assert build.etcd_module_version("3.6.5-0") == "v3.6.5"
    with pytest.raises(ValueError):
        build.kubeadm_component_versions('CoreDNSVersion = "v1"')


def test_cache_root_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("DUALSTACK_LAB_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert build.cache_root() == tmp_path / ".cache" / "dualstack-lab"
    monkeypatch.setenv("DUALSTACK_LAB_CACHE", str(tmp_path / "c"))
    assert build.cache_root() == tmp_path / "c"
    assert build.bin_dir("v1.34.12") == tmp_path / "c" / "v1.34.12" / "bin"


def test_go_env_keeps_caches_under_root(tmp_path):
    env = build.go_env(tmp_path, {"PATH": "/usr/bin"})
    assert env["GOMODCACHE"] == str(tmp_path / "gomod")
    assert env["GOCACHE"] == str(tmp_path / "gocache")
    assert env["CGO_ENABLED"] == "0"
    assert env["GOTOOLCHAIN"] == "auto"
    assert "-mod=mod" in env["GOFLAGS"].split()
    assert env["GOPROXY"].startswith("https://proxy.golang.org")
    assert env["PATH"] == "/usr/bin"


def test_stamp_is_required_and_binaries_must_exist(tmp_path):
    names = ["kubeadm", "kubectl"]
    bdir = build.bin_dir("v1.34.12", tmp_path)
    bdir.mkdir(parents=True)
    for name in names:
        (bdir / name).write_text("x")
    assert not build.is_built("v1.34.12", "kubernetes", names, tmp_path)  # half-built dir
    build.write_stamp("v1.34.12", "kubernetes", {"version": "v1.34.12"}, tmp_path)
    assert build.is_built("v1.34.12", "kubernetes", names, tmp_path)
    stamp = json.loads(build.stamp_path("v1.34.12", "kubernetes", tmp_path).read_text())
    assert stamp == {"version": "v1.34.12"}
    (bdir / "kubectl").unlink()
    assert not build.is_built("v1.34.12", "kubernetes", names, tmp_path)


def test_prepare_wrapper_keeps_go_sum_until_the_wrapper_changes(tmp_path):
    work = build.prepare_wrapper(tmp_path / "w", "module a\n")
    (work / "go.sum").write_text("sums")
    (work / "go.mod").write_text("module a\n\nrequire x v1 // indirect\n")  # as go build leaves it
    build.prepare_wrapper(work, "module a\n")
    assert (work / "go.sum").read_text() == "sums"
    assert "indirect" in (work / "go.mod").read_text()
    build.prepare_wrapper(work, "module b\n")
    assert not (work / "go.sum").exists()
    assert (work / "go.mod").read_text() == "module b\n"
    assert (work / "doc.go").read_text().strip().endswith("package wrapper")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_openapi_packages_found_by_tag(tmp_path):
    k8s = tmp_path / "k8s"
    _write(k8s / "pkg/apis/core/v1/doc.go", "// +k8s:openapi-gen=true\npackage v1\n")
    _write(k8s / "pkg/apis/core/v1/types.go", "package v1\n")
    _write(k8s / "pkg/other/x.go", "package other\n")
    _write(k8s / "pkg/x/testdata/doc.go", "// +k8s:openapi-gen=true\npackage td\n")
    _write(k8s / "pkg/y/_codegenignore/doc.go", "// +k8s:openapi-gen=true\npackage ign\n")
    _write(k8s / "vendor/a/doc.go", "// +k8s:openapi-gen=true\npackage a\n")
    _write(k8s / "test/e2e/doc.go", "// +k8s:deepcopy-gen=package\n// +k8s:openapi-gen=true\n")
    # the tag is only mentioned, not used as a comment tag at line start
    _write(k8s / "hack/gen.go", "package gen\nconst tag = \"+k8s:openapi-gen=\"\n")
    api = tmp_path / "api"
    _write(api / "core/v1/doc.go", "// +k8s:openapi-gen=true\npackage v1\n")
    _write(api / "core/v2/doc.go", "//   +k8s:openapi-gen=true\npackage v2\n")
    _write(api / "core/v3/doc.go", "package v3\n\t// +k8s:openapi-gen=true\n")  # indented
    _write(api / "doc.go", "// +k8s:openapi-gen=false\npackage api\n")
    gen = tmp_path / "gen"
    _write(gen / "examples/doc.go", "// +k8s:openapi-gen=true\npackage examples\n")
    pkgs = build.openapi_packages(k8s, {"k8s.io/api": api, "k8s.io/code-generator": gen})
    assert pkgs == ["k8s.io/api", "k8s.io/api/core/v1", "k8s.io/api/core/v2",
                    "k8s.io/kubernetes/pkg/apis/core/v1",
                    "k8s.io/kubernetes/test/e2e"]


def test_ensure_openapi_uses_shipped_file(tmp_path, monkeypatch):
    monkeypatch.delenv("DUALSTACK_LAB_GENERATE_OPENAPI", raising=False)
    k8s = tmp_path / "k8s"
    _write(k8s / build.OPENAPI_REL, "package openapi\n")
    messages: list[str] = []
    result = build.ensure_openapi(tmp_path / "work", k8s, [], "v1.34.12", tmp_path,
                                  messages.append)
    assert result is None
    assert "ships with" in messages[0]


def test_ensure_openapi_generates_into_a_writable_copy(tmp_path, monkeypatch):
    k8s = tmp_path / "k8s"
    _write(k8s / "go.mod", "module k8s.io/kubernetes\n")
    _write(k8s / "pkg/generated/openapi/doc.go", "package openapi\n")
    for path in (k8s / "go.mod", k8s / "pkg/generated/openapi/doc.go"):
        path.chmod(0o444)
    generated = tmp_path / "gen.go"
    generated.write_text("package openapi // generated\n")
    monkeypatch.setattr(build, "generate_openapi", lambda *a: generated)
    work = tmp_path / "work"
    src = build.ensure_openapi(work, k8s, ["k8s.io/api"], "v1.34.12", tmp_path, lambda _m: None)
    assert src == work / "src"
    assert (src / build.OPENAPI_REL).read_text() == "package openapi // generated\n"
    assert (src / "go.mod").read_text() == "module k8s.io/kubernetes\n"
    assert (src / "go.mod").stat().st_mode & 0o200
    assert not (k8s / build.OPENAPI_REL).exists()  # the module cache is left alone


def test_ensure_binaries_skips_built_products(monkeypatch, tmp_path):
    monkeypatch.setenv("DUALSTACK_LAB_CACHE", str(tmp_path))
    version = "v1.34.12"
    bdir = build.bin_dir(version, tmp_path)
    bdir.mkdir(parents=True)
    for _pkg, name in build.KUBE_COMMANDS + build.ETCD_COMMANDS + build.COREDNS_COMMANDS + build.AGNHOST_COMMANDS:
        (bdir / name).write_text("x")
    comps = {"etcd": "3.6.5-0", "coredns": "v1.12.1", "pause": "3.10.1"}
    build.write_stamp(version, "kubernetes", {"components": comps}, tmp_path)
    build.write_stamp(version, "etcd", {}, tmp_path)
    build.write_stamp(version, "coredns", {}, tmp_path)
    build.write_stamp(version, "agnhost", {"version": "2.56"}, tmp_path)

    def fail(*_a, **_k):
        raise AssertionError("should not build")

    for name in ("build_kubernetes", "build_etcd", "build_coredns", "build_agnhost", "download_module"):
        monkeypatch.setattr(build, name, fail)
    assert build.ensure_binaries(version, log=lambda _m: None) == bdir


def test_ensure_binaries_builds_missing_products(monkeypatch, tmp_path):
    monkeypatch.setenv("DUALSTACK_LAB_CACHE", str(tmp_path))
    monkeypatch.setenv("DUALSTACK_LAB_SKIP_COREDNS", "1")
    calls: list[tuple] = []
    comps = {"etcd": "3.6.5-0", "coredns": "v1.12.1", "pause": "3.10.1"}

    def fake_kube(version, root, log):
        calls.append(("kubernetes", version))
        build.write_stamp(version, "kubernetes", {"components": comps}, root)
        return comps

    monkeypatch.setattr(build, "build_kubernetes", fake_kube)
    monkeypatch.setattr(build, "build_etcd", lambda v, ev, r, log: calls.append(("etcd", ev)))
    monkeypatch.setattr(build, "build_coredns", lambda *a: calls.append(("coredns",)))
    monkeypatch.setattr(build, "build_agnhost", lambda v, r, log: calls.append(("agnhost", v)))
    build.ensure_binaries("v1.34.12", log=lambda _m: None)
    assert calls == [("kubernetes", "v1.34.12"), ("etcd", "v3.6.5"), ("agnhost", "v1.34.12")]


def test_build_lock_waits_for_another_holder(tmp_path):
    messages: list[str] = []
    done = threading.Event()

    def contender():
        with build.build_lock(tmp_path, messages.append):
            done.set()

    with (tmp_path / "build.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        thread = threading.Thread(target=contender)
        thread.start()
        time.sleep(0.3)
        assert not done.is_set()  # blocked while the lock is held
        fcntl.flock(held, fcntl.LOCK_UN)
    thread.join(timeout=5)
    assert done.is_set()
    assert messages and "waiting for another lab build" in messages[0]


def test_missing_products(tmp_path, monkeypatch):
    monkeypatch.delenv("DUALSTACK_LAB_SKIP_COREDNS", raising=False)
    assert build.missing_products("v1.34.12", tmp_path) == ["kubernetes", "etcd", "agnhost", "coredns"]
    bdir = build.bin_dir("v1.34.12", tmp_path)
    bdir.mkdir(parents=True)
    for _pkg, name in build.ETCD_COMMANDS:
        (bdir / name).write_text("x")
    build.write_stamp("v1.34.12", "etcd", {}, tmp_path)
    assert build.missing_products("v1.34.12", tmp_path) == ["kubernetes", "agnhost", "coredns"]
    monkeypatch.setenv("DUALSTACK_LAB_SKIP_COREDNS", "1")
    assert build.missing_products("v1.34.12", tmp_path) == ["kubernetes", "agnhost"]


def test_containerd2_from_1_36():
    assert not build.needs_containerd2("v1.33.13")
    assert not build.needs_containerd2("v1.35.8")
    assert build.needs_containerd2("v1.36.3")
    assert build.needs_containerd2("v1.37.2")
    assert build.needs_containerd2("v1.38.0-beta.0")
    with pytest.raises(ValueError, match="not a Kubernetes release"):
        build.needs_containerd2("2.4.2")


def test_containerd_is_a_product_of_1_36_and_newer(tmp_path, monkeypatch):
    monkeypatch.setenv("DUALSTACK_LAB_SKIP_COREDNS", "1")
    assert build.missing_products("v1.35.8", tmp_path) == ["kubernetes", "etcd", "agnhost"]
    assert build.missing_products("v1.37.2", tmp_path) == ["kubernetes", "etcd", "agnhost", "containerd"]
    bdir = build.bin_dir("v1.37.2", tmp_path)
    bdir.mkdir(parents=True)
    for _pkg, name in build.CONTAINERD_COMMANDS + build.CONTAINERD_SHIM_COMMANDS:
        (bdir / name).write_text("x")
    build.write_stamp("v1.37.2", "containerd", {}, tmp_path)
    assert "containerd" not in build.missing_products("v1.37.2", tmp_path)
    (bdir / "containerd-shim-runc-v2").unlink()
    assert "containerd" in build.missing_products("v1.37.2", tmp_path)


def test_containerd_build_args_are_upstreams_static_ones():
    flags = build.containerd_ldflags("v2.4.2", "abc")
    assert flags.startswith("-s -w ")
    assert "-X github.com/containerd/containerd/v2/version.Version=v2.4.2" in flags
    assert "-X github.com/containerd/containerd/v2/version.Revision=abc" in flags
    args = build.go_build_args(build.CONTAINERD_SHIM_COMMANDS, Path("/out"), flags, build.CONTAINERD_SHIM_TAGS)
    assert args[args.index("-tags") + 1] == "urfave_cli_no_docs osusergo netgo static_build no_grpc"
    assert args[-1] == "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
    assert build.go_build_args([], Path("/out"), "")[3:5] == ["-tags", "providerless"]


def test_parse_agnhost_version():
    assert build.parse_agnhost_version("2.56\n") == "2.56"
    assert build.parse_agnhost_version("2.4.1") == "2.4.1"
    with pytest.raises(ValueError):
        build.parse_agnhost_version("latest")


def test_build_agnhost_from_the_kubernetes_module(monkeypatch, tmp_path):
    k8s = tmp_path / "mod" / "kubernetes"
    (k8s / build.AGNHOST_REL).mkdir(parents=True)
    (k8s / build.AGNHOST_REL / "VERSION").write_text("2.56\n")
    gomod = tmp_path / "mod" / "go.mod"
    gomod.write_text("module k8s.io/kubernetes\n\ngo 1.24.0\n\nreplace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n)\n")
    monkeypatch.setattr(build, "download_module", lambda *a: {"Dir": str(k8s), "GoMod": str(gomod)})
    seen = {}

    def fake_go_build(work, commands, ldflags, version, root, log):
        seen.update(work=work, commands=commands, ldflags=ldflags)
        return 5.0

    monkeypatch.setattr(build, "go_build", fake_go_build)
    assert build.build_agnhost("v1.34.12", tmp_path, lambda _m: None) == "2.56"
    assert seen["commands"] == (("k8s.io/kubernetes/test/images/agnhost", "agnhost"),)
    assert seen["ldflags"] == "-s -w -X main.Version=2.56"
    assert "k8s.io/api => k8s.io/api v0.34.12" in (seen["work"] / "go.mod").read_text()
    assert build.agnhost_tag("v1.34.12", tmp_path) == "2.56"  # from the stamp
    build.stamp_path("v1.34.12", "agnhost", tmp_path).unlink()
    assert build.agnhost_tag("v1.34.12", tmp_path) == "2.56"  # from the module's VERSION


def test_etcd_the_proxy_does_not_serve_whole_is_built_at_the_nearest_served_patch():
    assert build.etcd_module_version("3.6.5-0") == "v3.6.5"
    assert build.etcd_module_version("3.5.24-0") == "v3.5.21"


def test_molecule_scenarios_expect_the_labs_release():
    # Preflight compares dualstack_kube_version with what the cluster's kube-apiserver reports.
    repo = Path(__file__).resolve().parents[3]
    scenarios = sorted((repo / "molecule").glob("*/molecule.yml"))
    assert scenarios
    for path in scenarios:
        versions = re.findall(r"dualstack_kube_version: (\S+)", path.read_text())
        assert versions == [build.DEFAULT_VERSION], path
