"""Unit tests of dslab.cluster, dslab.podnet_agent and dslab.lifecycle (no nodes)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

LAB = Path(__file__).resolve().parents[3] / "lab"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from dslab import cluster, lifecycle, net  # noqa: E402
from dslab import podnet_agent as agent  # noqa: E402

REFS = {
    "kube-apiserver": "registry.k8s.io/kube-apiserver:v1.34.12",
    "kube-controller-manager": "registry.k8s.io/kube-controller-manager:v1.34.12",
    "kube-scheduler": "registry.k8s.io/kube-scheduler:v1.34.12",
    "kube-proxy": "registry.k8s.io/kube-proxy:v1.34.12",
    "etcd": "registry.k8s.io/etcd:3.6.4-0",
    "coredns": "registry.k8s.io/coredns/coredns:v1.12.1",
    "pause": "registry.k8s.io/pause:3.10.1",
    "agnhost": "registry.k8s.io/e2e-test-images/agnhost:2.56",
    "testbox": "dualstack.lab/testbox:1",
}


def _docs(text: str) -> dict[str, dict]:
    yaml = pytest.importorskip("yaml")
    return {d["kind"]: d for d in yaml.safe_load_all(text)}


def test_init_config_is_single_stack_ipv4() -> None:
    docs = _docs(cluster.kubeadm_init_config("v1.34.12", REFS))
    init, cc = docs["InitConfiguration"], docs["ClusterConfiguration"]
    assert init["localAPIEndpoint"]["advertiseAddress"] == "192.168.77.11"
    assert init["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "node-ip", "value": "192.168.77.11"}]
    assert cc["kubernetesVersion"] == "v1.34.12"
    assert cc["networking"]["podSubnet"] == "10.244.0.0/16"
    assert cc["networking"]["serviceSubnet"] == "10.96.0.0/16"
    assert cc["controlPlaneEndpoint"] == "192.168.77.11:6443"
    assert cc["imageRepository"] == "registry.k8s.io"
    assert {"name": "kubelet-preferred-address-types", "value": "InternalIP,Hostname"} in \
        cc["apiServer"]["extraArgs"]
    assert "," not in cc["networking"]["podSubnet"]


def test_init_config_ignores_only_listed_preflight_checks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _docs(cluster.kubeadm_init_config("v1.34.12", REFS))
    assert "ignorePreflightErrors" not in docs["InitConfiguration"]["nodeRegistration"]
    monkeypatch.setattr(cluster, "IGNORED_PREFLIGHT", {"Swap": "why"})
    docs = _docs(cluster.kubeadm_init_config("v1.34.12", REFS))
    assert docs["InitConfiguration"]["nodeRegistration"]["ignorePreflightErrors"] == ["Swap"]
    docs = _docs(cluster.kubeadm_join_config(net.node("w1"), "a.b", "sha256:00"))
    assert docs["JoinConfiguration"]["nodeRegistration"]["ignorePreflightErrors"] == ["Swap"]


def test_from_1_35_system_verification_is_skipped_on_cgroup_v1() -> None:
    docs = _docs(cluster.kubeadm_init_config("v1.35.8", REFS))
    assert docs["InitConfiguration"]["nodeRegistration"]["ignorePreflightErrors"] == ["SystemVerification"]
    docs = _docs(cluster.kubeadm_join_config(net.node("w1"), "a.b", "sha256:00", version="v1.37.2"))
    assert docs["JoinConfiguration"]["nodeRegistration"]["ignorePreflightErrors"] == ["SystemVerification"]
    assert "ignorePreflightErrors" not in _docs(cluster.kubeadm_init_config("v1.34.12", REFS))["InitConfiguration"]["nodeRegistration"]
    assert cluster.ignored_preflight("v1.33.13") == {} and cluster.ignored_preflight("") == {}


def test_user_mode_linux_nodes_skip_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cluster.ignored_preflight("v1.34.12", own_kernel=True) == {"NumCPU": "a User-Mode Linux kernel runs one CPU"}
    monkeypatch.setenv("DUALSTACK_LAB_KERNEL", "uml")
    docs = _docs(cluster.kubeadm_init_config("v1.37.2", REFS))
    assert docs["InitConfiguration"]["nodeRegistration"]["ignorePreflightErrors"] == ["SystemVerification", "NumCPU"]
    assert docs["InitConfiguration"]["patches"] == {"directory": "/etc/kubernetes/dslab-patches"}
    for component in ("controllerManager", "scheduler"):
        assert {a["name"]: a["value"] for a in docs["ClusterConfiguration"][component]["extraArgs"]} == {
            "leader-elect-lease-duration": "120s", "leader-elect-renew-deadline": "90s", "leader-elect-retry-period": "10s"}
    monkeypatch.delenv("DUALSTACK_LAB_KERNEL")
    docs = _docs(cluster.kubeadm_init_config("v1.37.2", REFS))
    assert "patches" not in docs["InitConfiguration"] and "controllerManager" not in docs["ClusterConfiguration"]


def test_kubelet_and_proxy_settings_for_nspawn() -> None:
    docs = _docs(cluster.kubeadm_init_config("v1.34.12", REFS))
    kubelet, proxy = docs["KubeletConfiguration"], docs["KubeProxyConfiguration"]
    assert kubelet["cgroupDriver"] == "cgroupfs"
    assert kubelet["failSwapOn"] is False
    assert kubelet["failCgroupV1"] is False
    assert proxy["mode"] == "iptables"
    assert proxy["conntrack"]["maxPerCore"] == 0


def test_join_config_uses_token_hash_and_node_ip() -> None:
    n = net.node("w2")
    docs = _docs(cluster.kubeadm_join_config(n, "abcdef.0123456789abcdef", "sha256:00ff"))
    join = docs["JoinConfiguration"]
    assert join["discovery"]["bootstrapToken"] == {
        "apiServerEndpoint": "192.168.77.11:6443", "token": "abcdef.0123456789abcdef",
        "caCertHashes": ["sha256:00ff"]}
    assert join["nodeRegistration"]["name"] == "dslab-w2"
    assert join["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "node-ip", "value": "192.168.77.22"}]
    # The shaped node (net.SHAPED_NODE) joins without --node-ip, as kubeadm's tutorials do.
    plain = _docs(cluster.kubeadm_join_config(n, "abcdef.0123456789abcdef", "sha256:00ff", with_node_ip=False))
    assert "kubeletExtraArgs" not in plain["JoinConfiguration"]["nodeRegistration"]
    assert plain["JoinConfiguration"]["nodeRegistration"]["name"] == "dslab-w2"


def test_parse_join_command() -> None:
    text = ("kubeadm join 192.168.77.11:6443 --token abcdef.0123456789abcdef "
            "--discovery-token-ca-cert-hash sha256:1234 \n")
    assert cluster.parse_join_command(text) == ("abcdef.0123456789abcdef", "sha256:1234")
    with pytest.raises(ValueError):
        cluster.parse_join_command("nothing here")


def test_containerd_config_per_lab_notes() -> None:
    text = cluster.containerd_config("registry.k8s.io/pause:3.10.1")
    assert 'sandbox_image = "registry.k8s.io/pause:3.10.1"' in text
    assert "restrict_oom_score_adj = true" in text
    assert "SystemdCgroup = false" in text
    assert 'runtime_type = "io.containerd.runc.v2"' in text
    assert f'conf_template = "{cluster.CNI_TEMPLATE_PATH}"' in text
    tomllib = pytest.importorskip("tomllib")
    cri = tomllib.loads(text)["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["cni"]["bin_dir"] == "/usr/lib/cni"


def test_containerd2_config_is_version_3_with_the_same_settings() -> None:
    tomllib = pytest.importorskip("tomllib")
    doc = tomllib.loads(cluster.containerd_config("registry.k8s.io/pause:3.10.1", "bridge", containerd2=True))
    assert doc["version"] == 3
    images = doc["plugins"]["io.containerd.cri.v1.images"]
    runtime = doc["plugins"]["io.containerd.cri.v1.runtime"]
    assert images["pinned_images"] == {"sandbox": "registry.k8s.io/pause:3.10.1"}
    assert images["snapshotter"] == "overlayfs"
    assert runtime["restrict_oom_score_adj"] is True
    runc = runtime["containerd"]["runtimes"]["runc"]
    assert runc == {"runtime_type": "io.containerd.runc.v2", "options": {"SystemdCgroup": False}}
    assert runtime["cni"] == {"bin_dirs": ["/usr/lib/cni"], "conf_dir": "/etc/cni/net.d",
                              "conf_template": cluster.CNI_TEMPLATE_PATH}
    real = tomllib.loads(cluster.containerd_config("p", "flannel", containerd2=True))
    assert real["plugins"]["io.containerd.cri.v1.runtime"]["cni"] == {"bin_dirs": ["/opt/cni/bin"],
                                                                      "conf_dir": "/etc/cni/net.d"}
    assert "io.containerd.grpc.v1.cri" not in real["plugins"]


def test_kubelet_unit_has_the_kubeadm_dropin_shape() -> None:
    assert "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env" in cluster.KUBEADM_DROPIN
    assert "--config=/var/lib/kubelet/config.yaml" in cluster.KUBEADM_DROPIN
    assert "ExecStart=\n" in cluster.KUBEADM_DROPIN
    assert "$KUBELET_KUBEADM_ARGS" in cluster.KUBEADM_DROPIN


def test_ref_for_accepts_both_role_namings() -> None:
    assert cluster.ref_for(REFS, "apiserver") == REFS["kube-apiserver"]
    assert cluster.ref_for({"apiserver": "x/y:1"}, "kube-apiserver") == "x/y:1"
    assert cluster.ref_for(REFS, "nope") is None


def _render_template(cidrs: list[str]) -> dict:
    """Expand the Go template the way containerd does (for the two fields used)."""
    text = cluster.CNI_TEMPLATE
    ranges = ", ".join(f'[{{"subnet": "{c}"}}]' for c in cidrs)
    routes = ", ".join(f'{{"dst": "{agent.default_route(c)}"}}' for c in cidrs)
    text = text.replace(
        '{{range $i, $r := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$r}}"}]{{end}}',
        ranges)
    text = text.replace('{{range $i, $r := .Routes}}{{if $i}}, {{end}}{"dst": "{{$r}}"}{{end}}',
                        routes)
    return json.loads(text)


@pytest.mark.parametrize("cidrs", [["10.244.1.0/24"], ["10.244.1.0/24", "fd00:10:244:1::/64"]])
def test_agent_conflist_equals_containerd_template(cidrs: list[str]) -> None:
    assert agent.render_conflist(cidrs) == _render_template(cidrs)


def _node(name: str, cidrs: list[str], ips: list[str]) -> dict:
    return {"metadata": {"name": name}, "spec": {"podCIDRs": cidrs, "podCIDR": cidrs[0]},
            "status": {"addresses": [{"type": "InternalIP", "address": ip} for ip in ips]
                       + [{"type": "Hostname", "address": name}]}}


NODES_V4 = [
    _node("dslab-cp1", ["10.244.0.0/24"], ["192.168.77.11"]),
    _node("dslab-w1", ["10.244.1.0/24"], ["192.168.77.21"]),
    _node("dslab-w2", ["10.244.2.0/24"], ["192.168.77.22"]),
]


def test_routes_single_stack() -> None:
    assert agent.desired_routes(NODES_V4, "dslab-w1") == {
        "10.244.0.0/24": "192.168.77.11", "10.244.2.0/24": "192.168.77.22"}


def test_routes_pick_up_a_second_family_per_node() -> None:
    nodes = [
        _node("dslab-cp1", ["10.244.0.0/24", "fd00:10:244::/64"],
              ["192.168.77.11", "fd00:77::11"]),
        _node("dslab-w1", ["10.244.1.0/24", "fd00:10:244:1::/64"],
              ["192.168.77.21", "fd00:77::21"]),
        # Converted podCIDRs but kubelet not yet reporting its IPv6 address.
        _node("dslab-w2", ["10.244.2.0/24", "fd00:10:244:2::/64"], ["192.168.77.22"]),
    ]
    assert agent.desired_routes(nodes, "dslab-cp1") == {
        "10.244.1.0/24": "192.168.77.21", "fd00:10:244:1::/64": "fd00:77::21",
        "10.244.2.0/24": "192.168.77.22"}


def test_pod_cidrs_falls_back_to_podcidr() -> None:
    assert agent.pod_cidrs({"spec": {"podCIDR": "10.244.3.0/24"}}) == ["10.244.3.0/24"]
    assert agent.pod_cidrs({"spec": {}}) == []


def test_masquerade_keeps_pod_to_pod_and_nats_the_rest() -> None:
    lines = agent.masq_rules(NODES_V4, "dslab-w2")
    assert lines == [
        "-A DSLAB-POD-MASQ -d 10.244.0.0/24 -j RETURN",
        "-A DSLAB-POD-MASQ -d 10.244.1.0/24 -j RETURN",
        "-A DSLAB-POD-MASQ -d 10.244.2.0/24 -j RETURN",
        "-A DSLAB-POD-MASQ -s 10.244.2.0/24 -j MASQUERADE",
    ]
    assert agent.masq_rules(NODES_V4, "unknown") == []


def test_inventory_uses_kubespray_groups(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_RUN", str(tmp_path))
    inv = lifecycle.inventory()["all"]
    groups = inv["children"]["k8s_cluster"]["children"]
    assert list(groups["kube_control_plane"]["hosts"]) == ["dslab-cp1"]
    assert list(groups["kube_node"]["hosts"]) == ["dslab-w1", "dslab-w2"]
    assert groups["kube_node"]["hosts"]["dslab-w1"]["ansible_host"] == "192.168.77.21"
    assert groups["kube_node"]["hosts"]["dslab-w1"]["ip6"] == "fd00:77::21"
    assert inv["vars"]["ansible_user"] == "root"
    assert inv["vars"]["ansible_ssh_private_key_file"] == str(tmp_path / "ssh" / "id_ed25519")


def test_sysctl_diff_against_record(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    record = tmp_path / "host-sysctls.json"
    record.write_text(json.dumps({"vm/overcommit_memory": "0", "kernel/panic": "1",
                                  "gone/key": "x"}))
    monkeypatch.setattr(lifecycle, "baseline_path", lambda: record)
    monkeypatch.setattr(lifecycle, "read_sysctls",
                        lambda: {"vm/overcommit_memory": "1", "kernel/panic": "1"})
    assert lifecycle.changed_sysctls() == {"vm/overcommit_memory": ("0", "1")}


def test_volatile_and_lab_link_sysctls_are_skipped() -> None:
    assert lifecycle._skip_sysctl("kernel/random/entropy_avail")
    assert lifecycle._skip_sysctl("fs/file-nr")
    assert lifecycle._skip_sysctl(f"net/ipv6/conf/{net.BRIDGE}/forwarding")
    assert not lifecycle._skip_sysctl("vm/overcommit_memory")
    assert not lifecycle._skip_sysctl("kernel/panic_on_oops")


def test_cli_yaml_inventory_round_trips(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    from dslab import __main__ as cli

    monkeypatch.setenv("DUALSTACK_LAB_RUN", str(tmp_path))
    inv = lifecycle.inventory()
    assert yaml.safe_load(cli._yaml(inv)) == inv


def test_molecule_instances(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_RUN", str(tmp_path))
    inst = lifecycle.molecule_instances()
    assert [i["instance"] for i in inst] == ["dslab-cp1", "dslab-w1", "dslab-w2"]
    assert {i["user"] for i in inst} == {"root"}
    assert inst[2]["address"] == "192.168.77.22"
    assert inst[0]["identity_file"] == str(tmp_path / "ssh" / "id_ed25519")


def test_podnet_rbac_reads_nodes_only() -> None:
    yaml = pytest.importorskip("yaml")
    from dslab import podnet

    docs = {d["kind"]: d for d in yaml.safe_load_all(podnet.RBAC)}
    assert docs["ClusterRole"]["rules"] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}]
    assert docs["ClusterRoleBinding"]["subjects"][0]["name"] == "dslab-podnet"
    assert docs["Secret"]["type"] == "kubernetes.io/service-account-token"


def test_workers_get_only_the_images_they_run() -> None:
    tars = {ref: Path(f"/x/{i}.tar") for i, ref in enumerate(REFS.values())}
    worker = cluster.images_for(net.node("w1"), tars, REFS)
    assert set(worker) == {REFS["pause"], REFS["kube-proxy"], REFS["coredns"], REFS["agnhost"], REFS["testbox"]}
    assert cluster.images_for(net.node("cp1"), tars, REFS) == tars


def _worker_and_binaries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, names: tuple) -> tuple:
    """dslab-w1 with an empty rootfs under a run dir in ``tmp_path``, and a bin dir holding ``names``."""
    from dslab import nodes

    monkeypatch.setenv("DUALSTACK_LAB_RUN", str(tmp_path / "run"))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in names:
        (bindir / name).write_text(f"#!/bin/sh\necho {name}\n")
    n = net.node("w1")
    root = nodes.node_rootfs(n)
    (root / "usr/local/bin").mkdir(parents=True)
    return n, bindir, root


def test_install_node_files_is_idempotent(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    n, bindir, root = _worker_and_binaries(monkeypatch, tmp_path, cluster.NODE_BINARIES)
    assert cluster.install_node_files(n, bindir, REFS["pause"]) is True
    assert cluster.install_node_files(n, bindir, REFS["pause"]) is False
    assert (root / "usr/local/bin/kubelet").stat().st_ino == (bindir / "kubelet").stat().st_ino
    dropin = root / "etc/systemd/system/kubelet.service.d/10-kubeadm.conf"
    assert dropin.read_text() == cluster.KUBEADM_DROPIN
    assert (root / "etc/default/kubelet").read_text() == "KUBELET_EXTRA_ARGS=\n"
    assert REFS["pause"] in (root / "etc/containerd/config.toml").read_text()
    assert (root / cluster.CNI_TEMPLATE_PATH.lstrip("/")).read_text() == cluster.CNI_TEMPLATE
    assert not (root / cluster.CONTAINERD2_DROPIN_PATH).exists()
    assert not (root / "usr/local/bin/containerd").exists()


def test_install_node_files_with_containerd2_and_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    n, bindir, root = _worker_and_binaries(monkeypatch, tmp_path, cluster.NODE_BINARIES + cluster.CONTAINERD2_BINARIES)
    assert cluster.install_node_files(n, bindir, REFS["pause"]) is True
    assert cluster.install_node_files(n, bindir, REFS["pause"]) is False
    for name in cluster.CONTAINERD2_BINARIES:
        assert (root / "usr/local/bin" / name).stat().st_ino == (bindir / name).stat().st_ino
    assert "ExecStart=/usr/local/bin/containerd\n" in (root / cluster.CONTAINERD2_DROPIN_PATH).read_text()
    assert (root / "etc/containerd/config.toml").read_text().startswith("version = 3\n")
    for name in cluster.CONTAINERD2_BINARIES:  # the same node on a release with Debian's containerd
        (bindir / name).unlink()
    assert cluster.install_node_files(n, bindir, REFS["pause"]) is True
    assert not (root / cluster.CONTAINERD2_DROPIN_PATH).exists()
    assert not any((root / "usr/local/bin" / name).exists() for name in cluster.CONTAINERD2_BINARIES)
    assert (root / "etc/containerd/config.toml").read_text().startswith("version = 2\n")


def test_without_coredns_the_dns_addon_is_disabled() -> None:
    with_dns = _docs(cluster.kubeadm_init_config("v1.34.12", REFS))["ClusterConfiguration"]
    without = _docs(cluster.kubeadm_init_config("v1.34.12", REFS, with_coredns=False))
    assert "dns" not in with_dns
    assert without["ClusterConfiguration"]["dns"] == {"disabled": True}


def test_ha_init_config_puts_the_endpoint_on_the_load_balancer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_CONTROL_PLANES", "3")
    monkeypatch.setattr(cluster, "certificate_key", lambda: "ab" * 32)
    docs = _docs(cluster.kubeadm_init_config("v1.34.12", REFS))
    init, cc = docs["InitConfiguration"], docs["ClusterConfiguration"]
    assert cc["controlPlaneEndpoint"] == "192.168.77.10:6443"
    assert init["localAPIEndpoint"]["advertiseAddress"] == "192.168.77.11"
    assert init["certificateKey"] == "ab" * 32
    assert cc["apiServer"]["certSANs"] == ["fd00:77::10"]
    # Still single-stack: the conversion is the collection's job.
    assert cc["networking"]["serviceSubnet"] == cluster.SERVICE_SUBNET


def test_single_control_plane_init_config_has_no_key_and_no_balancer() -> None:
    docs = _docs(cluster.kubeadm_init_config("v1.34.12", REFS))
    assert "certificateKey" not in docs["InitConfiguration"]
    assert docs["ClusterConfiguration"]["controlPlaneEndpoint"] == "192.168.77.11:6443"
    assert "certSANs" not in docs["ClusterConfiguration"]["apiServer"]


def test_control_plane_join_config_is_a_stacked_member(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_CONTROL_PLANES", "3")
    docs = _docs(cluster.kubeadm_join_config(net.node("cp2"), "a.b", "sha256:00", certificate_key="cd" * 32))
    join = docs["JoinConfiguration"]
    assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "192.168.77.10:6443"
    assert join["controlPlane"] == {"localAPIEndpoint": {"advertiseAddress": "192.168.77.12", "bindPort": 6443},
                                    "certificateKey": "cd" * 32}
    worker = _docs(cluster.kubeadm_join_config(net.node("w1"), "a.b", "sha256:00"))["JoinConfiguration"]
    assert "controlPlane" not in worker
    assert worker["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "192.168.77.10:6443"


def test_ha_inventory_lists_three_control_planes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALSTACK_LAB_CONTROL_PLANES", "3")
    groups = lifecycle.inventory()["all"]["children"]["k8s_cluster"]["children"]
    assert list(groups["kube_control_plane"]["hosts"]) == ["dslab-cp1", "dslab-cp2", "dslab-cp3"]
    assert list(groups["kube_node"]["hosts"]) == ["dslab-w1", "dslab-w2"]
    assert [i["instance"] for i in lifecycle.molecule_instances()] == [
        "dslab-cp1", "dslab-cp2", "dslab-cp3", "dslab-w1", "dslab-w2"]


def test_proxy_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DUALSTACK_LAB_PROXY_MODE", raising=False)
    assert cluster.proxy_mode() == "iptables"
    assert "mode: iptables\n" in cluster.kube_proxy_config()
    monkeypatch.setenv("DUALSTACK_LAB_PROXY_MODE", "nftables")
    assert "mode: nftables\n" in cluster.kube_proxy_config()
    monkeypatch.setenv("DUALSTACK_LAB_PROXY_MODE", "ipvs")
    with pytest.raises(SystemExit, match="no IPVS .*missing-ip_vs is missing"):
        cluster.proxy_mode(tmp_path / "missing-ip_vs")
    with pytest.raises(SystemExit, match="DUALSTACK_LAB_KERNEL=uml"):
        cluster.proxy_mode(tmp_path / "missing-ip_vs")
    (tmp_path / "ip_vs").write_text("")
    assert cluster.proxy_mode(tmp_path / "ip_vs") == "ipvs"
    # Nodes with a kernel of their own load ip_vs themselves, whatever the host's kernel has.
    assert cluster.proxy_mode(tmp_path / "missing-ip_vs", own_kernel=True) == "ipvs"
    monkeypatch.setenv("DUALSTACK_LAB_KERNEL", "uml")
    assert cluster.proxy_mode(tmp_path / "missing-ip_vs") == "ipvs"
    monkeypatch.delenv("DUALSTACK_LAB_KERNEL")
    monkeypatch.setenv("DUALSTACK_LAB_PROXY_MODE", "userspace")
    with pytest.raises(SystemExit, match="expected one of iptables, nftables, ipvs"):
        cluster.proxy_mode()


def test_kubelet_eviction_thresholds_are_absolute_and_complete() -> None:
    doc = yaml.safe_load(cluster.kubelet_config())
    assert doc["evictionHard"] == {"memory.available": "100Mi", "nodefs.available": "2Gi", "nodefs.inodesFree": "5%",
                                   "imagefs.available": "2Gi", "imagefs.inodesFree": "5%"}
