# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: Contributors to the dualstack.kubernetes collection
"""The cni and egress roles, run by ansible-playbook against stand-ins for kubectl and ip6tables.

An ansible-test integration target (``runme.sh``; ``make integration`` runs it on the collection tree).

No Flannel or Calico can run here (no images), so kubectl is replaced by fixtures/cni/fake_kubectl.py
holding the published upstream objects, and ip6tables by fake_ip6tables.py. What is checked: which
objects the roles write, what they write, that a second run changes nothing, and that check mode
writes nothing. What is not: that flannel, Calico or ip-masq-agent behave as expected with the result.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_objects import load_embedded_json
from ansible_collections.dualstack.kubernetes.plugins.module_utils.cni_detect import detect_cni


def collection_root(here: Path) -> Path:
    """The collection: the ``ansible_collections/dualstack/kubernetes`` tree ansible-test runs this target in (it
    copies the target below it), else the checkout this file is in."""
    for parent in here.parents:
        if parent.name == "kubernetes" and parent.parent.name == "dualstack" and parent.parent.parent.name == "ansible_collections":
            return parent
    return here.parents[4]


REPO = collection_root(Path(__file__).resolve())
FIXTURES = REPO / "tests" / "unit" / "plugins" / "module_utils" / "fixtures" / "cni"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"
PODS = "10.244.0.0/16,fd00:10:244::/56"
SERVICES = "10.96.0.0/16,fd00:10:96::/112"

pytestmark = pytest.mark.skipif(not PLAYBOOK_BIN.exists(), reason="ansible-playbook is not installed next to python")


def objects(name, kinds=("ConfigMap", "DaemonSet")):
    found = [d for d in yaml.safe_load_all((FIXTURES / name).read_text()) if d and d["kind"] in kinds]
    for obj in found:
        obj["metadata"]["resourceVersion"] = "100"
    return found


class Lab:
    def __init__(self, tmp_path, objs):
        self.tmp = tmp_path
        self.state = tmp_path / "kube.json"
        self.state.write_text(json.dumps({"objects": objs, "log": []}))
        self.kubectl = "%s %s --kubeconfig /nonexistent" % (sys.executable, FIXTURES / "fake_kubectl.py")
        for host in ("cp1", "w1"):
            (tmp_path / host).mkdir()
            (tmp_path / host / "ip6tables.json").write_text("{}")
            wrapper = tmp_path / host / "ip6tables"
            fake = (sys.executable, FIXTURES / "fake_ip6tables.py", tmp_path / host / "ip6tables.json")
            wrapper.write_text('#!/bin/sh\nexec "%s" "%s" "%s" "$@"\n' % fake)
            wrapper.chmod(0o755)
            restore = tmp_path / host / "ip6tables-restore"
            restore.write_text('#!/bin/sh\nexec "%s" "%s" "%s" --restore "$@"\n' % fake)
            restore.chmod(0o755)
            (tmp_path / host / "systemd" / "multi-user.target.wants").mkdir(parents=True)

    def plan(self, extra):
        """What preflight would plan for the objects held now: the CNI detected from them, and the pod ranges."""
        objs = self.kube["objects"]
        configmaps = [o for o in objs if o["kind"] == "ConfigMap"]
        conf = {"plugins": [{"type": "bridge", "ipam": {"type": "host-local"}}]}
        for item in configmaps:
            data = item.get("data") or {}
            if "cni-conf.json" in data:
                conf = json.loads(data["cni-conf.json"])
            elif "cni_network_config" in data:
                conf = load_embedded_json(data["cni_network_config"], "calico-config")
        daemonsets = [{"namespace": o["metadata"]["namespace"], "name": o["metadata"]["name"],
                       "images": [c["image"] for c in o["spec"]["template"]["spec"]["containers"]],
                       "configmaps": [v["configMap"]["name"] for v in o["spec"]["template"]["spec"].get("volumes", [])
                                      if "configMap" in v],
                       "selector": o["spec"]["selector"].get("matchLabels", {})} for o in objs if o["kind"] == "DaemonSet"]
        pods = [c for c in str(extra.get("dualstack_pod_cidrs", PODS)).split(",") if c]
        services = [c for c in str(extra.get("dualstack_service_cidrs", SERVICES)).split(",") if c]
        return {"pod_cidrs": pods, "service_cidrs": services,
                "cni": detect_cni(daemonsets, configmaps, {"cp1": [conf], "w1": [conf]})}

    def run(self, role, extra=None, check=False):
        extra = dict(extra or {})
        if role in ("cni", "egress") and "preflight_plan" not in extra:
            extra["preflight_plan"] = self.plan(extra)
        host_vars = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                     "egress_ip6tables": str(self.tmp / "{{ inventory_hostname }}" / "ip6tables"),
                     "egress_rules_file": str(self.tmp / "{{ inventory_hostname }}" / "dualstack" / "ip6tables-egress.rules"),
                     "egress_unit_dir": str(self.tmp / "{{ inventory_hostname }}" / "systemd")}
        variables = dict(host_vars, dualstack_pod_cidrs=PODS, dualstack_service_cidrs=SERVICES,
                         cni_kubectl=self.kubectl, egress_kubectl=self.kubectl)
        variables.update(extra)
        inventory = {"all": {"vars": variables,
                             "children": {"kube_control_plane": {"hosts": {"cp1": {}}},
                                          "kube_node": {"hosts": {"w1": {}}},
                                          "k8s_cluster": {"children": {"kube_control_plane": {}, "kube_node": {}}}}}}
        (self.tmp / "inventory.yml").write_text(yaml.safe_dump(inventory))
        (self.tmp / "play.yml").write_text(yaml.safe_dump([{"name": "Run the role", "hosts": "k8s_cluster",
                                                            "gather_facts": False,
                                                            "roles": ["dualstack.kubernetes.%s" % role]}]))
        env = dict(os.environ, FAKE_KUBE_STATE=str(self.state), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_COLLECTIONS_PATH=str(REPO / "tests" / "output" / ".collections"),
                   ANSIBLE_LOCAL_TEMP=str(self.tmp / "tmp"), ANSIBLE_HOME=str(self.tmp / "home"))
        command = [str(PLAYBOOK_BIN), "-i", str(self.tmp / "inventory.yml"), str(self.tmp / "play.yml")]
        if check:
            command.append("--check")
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        return {host: int(changed) for host, changed in re.findall(r"^(\w+)\s+:.*?changed=(\d+)", done.stdout, re.M)}

    @property
    def kube(self):
        return json.loads(self.state.read_text())

    def obj(self, kind, name):
        return [o for o in self.kube["objects"] if o["kind"] == kind and o["metadata"]["name"] == name][0]

    def restored_at_boot(self, host):
        return (self.tmp / host / "dualstack" / "ip6tables-egress.rules").read_text()

    def chains(self, host):
        return json.loads((self.tmp / host / "ip6tables.json").read_text()).get("chains", {})


@pytest.fixture(autouse=True)
def collection_link():
    subprocess.run(["make", "-s", "-C", str(REPO), "collection"], check=True)


def nodes(*v6):
    """Nodes cp1 and w1; those named in v6 already re-registered with an IPv6 podCIDR, and announcing the IPv6 lease
    a flanneld with IPv6 on writes (no flanneld runs here)."""
    result = []
    for index, name in enumerate(("cp1", "w1")):
        cidrs = ["10.244.%d.0/24" % index] + (["fd00:10:244:%d::/64" % index] if name in v6 else [])
        lease = {"flannel.alpha.coreos.com/public-ipv6": "fd00:77::%d" % (index + 1),
                 "flannel.alpha.coreos.com/backend-v6-data": '{"VNI":1,"VtepMAC":"02:00:00:00:00:0%d"}' % index}
        result.append({"apiVersion": "v1", "kind": "Node",
                       "metadata": {"name": name, "resourceVersion": "9", "annotations": lease if name in v6 else {}},
                       "spec": {"podCIDR": cidrs[0], "podCIDRs": cidrs}})
    return result


def test_cni_role_flannel(tmp_path):
    lab = Lab(tmp_path, objects("kube-flannel-v0.20.2.yml.txt") + nodes("cp1", "w1"))
    # Check mode reports what it would write, and writes nothing.
    assert lab.run("cni", check=True)["cp1"] == 3 and lab.kube["log"] == []
    assert lab.run("cni")["cp1"] == 3
    # Two restarts: the second once every node announces its IPv6 lease (flanneld drops a peer update
    # that only adds IPv6; measured on the lab).
    assert lab.kube["log"] == [["replace", "ConfigMap", "kube-flannel", "kube-flannel-cfg"],
                               ["replace", "DaemonSet", "kube-flannel", "kube-flannel-ds"],
                               ["replace", "DaemonSet", "kube-flannel", "kube-flannel-ds"]]
    conf = json.loads(lab.obj("ConfigMap", "kube-flannel-cfg")["data"]["net-conf.json"])
    assert conf["IPv6Network"] == "fd00:10:244::/56" and conf["EnableIPv6"] is True
    template = lab.obj("DaemonSet", "kube-flannel-ds")["spec"]["template"]
    digest = hashlib.sha1(lab.obj("ConfigMap", "kube-flannel-cfg")["data"]["net-conf.json"].encode()).hexdigest()
    assert template["metadata"]["annotations"] == {"dualstack.kubernetes.io/net-conf-sha1": digest,
                                                   "dualstack.kubernetes.io/peers-sha1": digest}
    assert lab.run("cni") == {"cp1": 0, "w1": 0}
    assert len(lab.kube["log"]) == 3


def test_cni_role_flannel_waits_for_every_node(tmp_path):
    lab = Lab(tmp_path, objects("kube-flannel.yml.txt") + nodes("cp1"))
    with pytest.raises(AssertionError, match="Nodes w1 have no IPv6 podCIDR in fd00:10:244::/56"):
        lab.run("cni")
    assert lab.kube["log"] == []
    # Without the node check (its flanneld announces an IPv6 lease all the same, as when given one by hand).
    state = lab.kube
    w1 = [o for o in state["objects"] if o["kind"] == "Node" and o["metadata"]["name"] == "w1"][0]
    w1["metadata"]["annotations"] = nodes("w1")[1]["metadata"]["annotations"]
    lab.state.write_text(json.dumps(state))
    assert lab.run("cni", {"cni_flannel_check_nodes": False})["cp1"] == 3


def test_cni_role_flannel_wrong_network_fails_and_writes_nothing(tmp_path):
    lab = Lab(tmp_path, objects("kube-flannel.yml.txt") + nodes("cp1", "w1"))
    with pytest.raises(AssertionError, match="is not the cluster's primary pod range"):
        lab.run("cni", {"dualstack_pod_cidrs": "10.42.0.0/16,fd00:10:244::/56"})
    assert lab.kube["log"] == []


def calico_v4_pool():
    """The IPv4 pool a Calico manifest install creates (calico-node, CALICO_IPV4POOL_*)."""
    return {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool",
            "metadata": {"name": "default-ipv4-ippool", "resourceVersion": "7"},
            "spec": {"cidr": "10.244.0.0/16", "blockSize": 26, "ipipMode": "Always", "natOutgoing": True,
                     "nodeSelector": "all()", "vxlanMode": "Never"}}


def test_cni_role_calico(tmp_path):
    v4_pool = calico_v4_pool()
    lab = Lab(tmp_path, objects("calico.yaml.txt") + [v4_pool])
    assert lab.run("cni", check=True)["cp1"] == 3 and lab.kube["log"] == []
    assert lab.run("cni")["cp1"] == 3
    assert lab.kube["log"] == [["replace", "ConfigMap", "kube-system", "calico-config"],
                               ["create", "IPPool", "", "default-ipv6-ippool"],
                               ["replace", "DaemonSet", "kube-system", "calico-node"]]
    assert '"assign_ipv6": "true"' in lab.obj("ConfigMap", "calico-config")["data"]["cni_network_config"]
    assert lab.obj("IPPool", "default-ipv6-ippool")["spec"]["cidr"] == "fd00:10:244::/56"
    assert lab.obj("IPPool", "default-ipv4-ippool") == v4_pool
    node = lab.obj("DaemonSet", "calico-node")
    env = {e["name"]: e.get("value") for e in node["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["FELIX_IPV6SUPPORT"] == "true" and env["IP6"] == "autodetect"
    digest = hashlib.sha1(lab.obj("ConfigMap", "calico-config")["data"]["cni_network_config"].encode()).hexdigest()
    assert node["spec"]["template"]["metadata"]["annotations"]["dualstack.kubernetes.io/cni-network-config-sha1"] == digest
    assert lab.run("cni") == {"cp1": 0, "w1": 0}
    # The way back disables the IPv6 pool; converting again enables that pool instead of creating one.
    lab.run("cni", {"cni_state": "absent"})
    assert lab.obj("IPPool", "default-ipv6-ippool")["spec"]["disabled"] is True
    before = len(lab.kube["log"])
    lab.run("cni")
    again = lab.kube["log"][before:]
    assert ["replace", "IPPool", "", "default-ipv6-ippool"] in again
    assert not any(entry[0] == "create" for entry in again), again
    assert lab.obj("IPPool", "default-ipv6-ippool")["spec"]["disabled"] is False


def test_cni_role_none_for_bridge(tmp_path):
    lab = Lab(tmp_path, objects("ip-masq-agent.yaml.txt"))
    assert lab.run("cni") == {"cp1": 0, "w1": 0}
    assert lab.kube["log"] == []


def test_egress_role_ip_masq_agent(tmp_path):
    lab = Lab(tmp_path, objects("ip-masq-agent.yaml.txt"))
    assert lab.run("egress", {"egress_mode": "ip-masq-agent"}, check=True)["cp1"] == 2 and lab.kube["log"] == []
    assert lab.run("egress", {"egress_mode": "ip-masq-agent"})["cp1"] == 2
    assert lab.kube["log"] == [["create", "ConfigMap", "kube-system", "ip-masq-agent"],
                               ["replace", "DaemonSet", "kube-system", "ip-masq-agent"]]
    config = yaml.safe_load(lab.obj("ConfigMap", "ip-masq-agent")["data"]["config"])
    assert config["nonMasqueradeCIDRs"] == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00:10:244::/56"]
    container = lab.obj("DaemonSet", "ip-masq-agent")["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["--enable-ipv6=true"]
    assert lab.run("egress", {"egress_mode": "ip-masq-agent"}) == {"cp1": 0, "w1": 0}


def test_egress_role_ip_masq_agent_existing_config(tmp_path):
    config = "".join(line for line in (FIXTURES / "ip-masq-agent-config").read_text().splitlines(True) if not line.startswith("#"))
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"config": config},
          "metadata": {"name": "ip-masq-agent", "namespace": "kube-system", "resourceVersion": "3"}}
    lab = Lab(tmp_path, objects("ip-masq-agent.yaml.txt") + [cm])
    assert lab.run("egress", {"egress_mode": "ip-masq-agent", "egress_nonmasq_cidrs": ["fd00:77::/64"]})["cp1"] == 2
    assert lab.kube["log"][0] == ["replace", "ConfigMap", "kube-system", "ip-masq-agent"]
    assert yaml.safe_load(lab.obj("ConfigMap", "ip-masq-agent")["data"]["config"])["nonMasqueradeCIDRs"][-2:] == [
        "fd00:10:244::/56", "fd00:77::/64"]


BOOT_RULES = (
    "*nat\n:DUALSTACK-MASQ6 - [0:0]\n-A DUALSTACK-MASQ6 -d fd00:10:96::/112 -j RETURN\n"
    "-A DUALSTACK-MASQ6 -s fd00:10:244::/56 ! -d fd00:10:244::/56 -j MASQUERADE\n"
    '-A POSTROUTING -s fd00:10:244::/56 -m comment --comment "dualstack.kubernetes: masquerade IPv6 pod egress" -j DUALSTACK-MASQ6\n'
    "COMMIT\n")


def test_egress_role_bridge(tmp_path):
    lab = Lab(tmp_path, [])
    # Check mode shows the files it would write (4 changes per node) and writes nothing.
    assert lab.run("egress", {"egress_mode": "bridge"}, check=True) == {"cp1": 4, "w1": 4}
    assert lab.chains("cp1") == {} and not (tmp_path / "cp1" / "dualstack").exists()
    assert list((tmp_path / "cp1" / "systemd").rglob("*.service")) == []
    assert lab.run("egress", {"egress_mode": "bridge"}) == {"cp1": 5, "w1": 5}
    for host in ("cp1", "w1"):
        assert lab.restored_at_boot(host) == BOOT_RULES
        unit = (tmp_path / host / "systemd" / "dualstack-egress6.service").read_text()
        assert "ExecStart=%s-restore -w --noflush %s" % (tmp_path / host / "ip6tables", tmp_path / host / "dualstack" /
                                                         "ip6tables-egress.rules") in unit
        assert ('ExecStartPre=-%s -w -t nat -D POSTROUTING -s fd00:10:244::/56 -m comment --comment '
                '"dualstack.kubernetes: masquerade IPv6 pod egress" -j DUALSTACK-MASQ6' % (tmp_path / host / "ip6tables")) in unit
        assert (tmp_path / host / "systemd" / "multi-user.target.wants" / "dualstack-egress6.service").resolve() == \
            tmp_path / host / "systemd" / "dualstack-egress6.service"
        chains = lab.chains(host)
        assert chains["DUALSTACK-MASQ6"] == [["-d", "fd00:10:96::/112", "-j", "RETURN"],
                                             ["-s", "fd00:10:244::/56", "!", "-d", "fd00:10:244::/56", "-j", "MASQUERADE"]]
        assert chains["POSTROUTING"] == [["-s", "fd00:10:244::/56", "-m", "comment", "--comment",
                                          "dualstack.kubernetes: masquerade IPv6 pod egress", "-j", "DUALSTACK-MASQ6"]]
    assert lab.run("egress", {"egress_mode": "bridge"}) == {"cp1": 0, "w1": 0}
    # A stale rule (e.g. another Service range) makes the role refill the chain in order.
    state = json.loads((tmp_path / "w1" / "ip6tables.json").read_text())
    wanted = copy.deepcopy(state["chains"]["DUALSTACK-MASQ6"])
    state["chains"]["DUALSTACK-MASQ6"].insert(0, ["-d", "fd00:99::/112", "-j", "RETURN"])
    (tmp_path / "w1" / "ip6tables.json").write_text(json.dumps(state))
    assert lab.run("egress", {"egress_mode": "bridge"}) == {"cp1": 0, "w1": 1}
    assert lab.chains("w1")["DUALSTACK-MASQ6"] == wanted
    assert len(lab.chains("w1")["POSTROUTING"]) == 1


def test_egress_role_none_does_nothing(tmp_path):
    lab = Lab(tmp_path, [])
    assert lab.run("egress") == {"cp1": 0, "w1": 0}
    assert lab.chains("cp1") == {}


def real_ip6tables_usable():
    if os.geteuid() != 0 or not Path("/usr/sbin/ip6tables").exists() or not Path("/usr/sbin/ip").exists():
        return False
    name = "dscni-probe-%d" % os.getpid()
    if subprocess.run(["ip", "netns", "add", name], capture_output=True, check=False).returncode != 0:
        return False
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
    return True


@pytest.fixture
def netns_per_host(tmp_path):
    """One throwaway network namespace per inventory host, with an ip6tables wrapper that runs inside it."""
    names = {}
    for host in ("cp1", "w1"):
        name = "dscni-%s-%d" % (host, os.getpid())
        subprocess.run(["ip", "netns", "add", name], check=True)
        names[host] = name
    yield names
    for name in names.values():
        subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.mark.skipif(not real_ip6tables_usable(), reason="needs root, ip6tables and ip netns")
def test_egress_role_bridge_real_ip6tables(tmp_path, netns_per_host):
    lab = Lab(tmp_path, [])
    for host, name in netns_per_host.items():
        for tool in ("ip6tables", "ip6tables-restore"):
            (tmp_path / host / tool).write_text('#!/bin/sh\nexec ip netns exec %s /usr/sbin/%s "$@"\n' % (name, tool))

    def rules(host, chain):
        out = subprocess.run(["ip", "netns", "exec", netns_per_host[host], "ip6tables", "-w", "-t", "nat", "-S", chain],
                             capture_output=True, text=True, check=True).stdout
        return [line for line in out.splitlines() if line.startswith("-A ")]

    assert lab.run("egress", {"egress_mode": "bridge"}, check=True) == {"cp1": 4, "w1": 4}
    assert rules("cp1", "POSTROUTING") == []
    assert lab.run("egress", {"egress_mode": "bridge"}) == {"cp1": 5, "w1": 5}
    for host in netns_per_host:
        assert rules(host, "DUALSTACK-MASQ6") == [
            "-A DUALSTACK-MASQ6 -d fd00:10:96::/112 -j RETURN",
            "-A DUALSTACK-MASQ6 -s fd00:10:244::/56 ! -d fd00:10:244::/56 -j MASQUERADE",
        ]
        assert rules(host, "POSTROUTING") == [
            '-A POSTROUTING -s fd00:10:244::/56 -m comment --comment "dualstack.kubernetes: masquerade IPv6 pod egress" '
            "-j DUALSTACK-MASQ6"]
    assert lab.run("egress", {"egress_mode": "bridge"}) == {"cp1": 0, "w1": 0}
    # Another Service range: the chain is refilled, the jump stays single.
    assert lab.run("egress", {"egress_mode": "bridge", "dualstack_service_cidrs": "10.96.0.0/16,fd00:10:97::/112"}) == {
        "cp1": 2, "w1": 2}
    assert rules("w1", "DUALSTACK-MASQ6")[0] == "-A DUALSTACK-MASQ6 -d fd00:10:97::/112 -j RETURN"
    assert len(rules("w1", "DUALSTACK-MASQ6")) == 2 and len(rules("w1", "POSTROUTING")) == 1
    # A reboot: empty tables, then what the unit runs (ExecStartPre may fail, ExecStart restores the file).
    unit = (tmp_path / "w1" / "systemd" / "dualstack-egress6.service").read_text()
    pre = shlex.split(re.search(r"^ExecStartPre=-(.*)$", unit, re.M).group(1))
    start = shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.M).group(1))
    for table in ("-F", "-X"):
        subprocess.run(["ip", "netns", "exec", netns_per_host["w1"], "ip6tables", "-w", "-t", "nat", table], check=True)
    assert rules("w1", "POSTROUTING") == []
    for run in ("boot", "restart"):  # at boot, then a restart of the unit: never a second jump
        subprocess.run(pre, capture_output=True, check=False)
        subprocess.run(start, check=True)
        assert len(rules("w1", "DUALSTACK-MASQ6")) == 2 and len(rules("w1", "POSTROUTING")) == 1, run


def test_egress_role_bridge_refills_a_chain_in_the_wrong_order(tmp_path):
    lab = Lab(tmp_path, [])
    assert lab.run("egress", {"egress_mode": "bridge"})["cp1"] == 5
    state = json.loads((tmp_path / "cp1" / "ip6tables.json").read_text())
    wanted = copy.deepcopy(state["chains"]["DUALSTACK-MASQ6"])
    state["chains"]["DUALSTACK-MASQ6"].reverse()
    (tmp_path / "cp1" / "ip6tables.json").write_text(json.dumps(state))
    assert lab.run("egress", {"egress_mode": "bridge"}) == {"cp1": 1, "w1": 0}
    assert lab.chains("cp1")["DUALSTACK-MASQ6"] == wanted


# ---------------------------------------------------------------------------------------------
# the way back (playbooks/rollback.yml runs cni with cni_state=absent and egress with egress_state=absent)
# ---------------------------------------------------------------------------------------------

ABSENT_CNI = {"cni_state": "absent", "dualstack_pod_cidrs": ""}
ABSENT_EGRESS = {"egress_state": "absent", "dualstack_pod_cidrs": "", "dualstack_service_cidrs": ""}


def test_cni_role_flannel_way_back(tmp_path):
    lab = Lab(tmp_path, objects("kube-flannel-v0.20.2.yml.txt") + nodes("cp1", "w1"))
    published = copy.deepcopy(lab.obj("ConfigMap", "kube-flannel-cfg"))
    assert lab.run("cni")["cp1"] == 3
    del lab.kube["log"][:]
    assert lab.run("cni", ABSENT_CNI, check=True)["cp1"] == 2
    assert len(lab.kube["log"]) == 3, "check mode writes nothing"
    assert lab.run("cni", ABSENT_CNI)["cp1"] == 2
    assert lab.kube["log"][3:] == [["replace", "ConfigMap", "kube-flannel", "kube-flannel-cfg"],
                                   ["replace", "DaemonSet", "kube-flannel", "kube-flannel-ds"]]
    text = lab.obj("ConfigMap", "kube-flannel-cfg")["data"]["net-conf.json"]
    assert text == published["data"]["net-conf.json"], "the published net-conf.json, byte for byte"
    annotations = lab.obj("DaemonSet", "kube-flannel-ds")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["dualstack.kubernetes.io/net-conf-sha1"] == hashlib.sha1(text.encode()).hexdigest(), \
        "flannel's pods restart with IPv6 off"
    # Nodes still hold IPv6 podCIDRs at this point of a rollback: no node check on the way back.
    assert lab.run("cni", ABSENT_CNI) == {"cp1": 0, "w1": 0}
    # Converted again: both restarts again, each changing the pod template, though the peers digest left from the
    # first conversion is the new one (found on the lab: a conversion after a way back skipped the second restart,
    # or patched it to what it was, and IPv6 routes to peers restarted later were missing).
    before = len(lab.kube["log"])
    assert lab.run("cni")["cp1"] == 3
    assert lab.kube["log"][before:] == [["replace", "ConfigMap", "kube-flannel", "kube-flannel-cfg"],
                                        ["replace", "DaemonSet", "kube-flannel", "kube-flannel-ds"],
                                        ["replace", "DaemonSet", "kube-flannel", "kube-flannel-ds"]]
    assert "dualstack.kubernetes.io/peers-sha1" in lab.obj("DaemonSet", "kube-flannel-ds")["spec"]["template"]["metadata"][
        "annotations"]


def test_cni_role_calico_way_back(tmp_path):
    v4_pool = calico_v4_pool()
    lab = Lab(tmp_path, objects("calico.yaml.txt") + [v4_pool])
    assert lab.run("cni")["cp1"] == 3
    assert lab.run("cni", ABSENT_CNI)["cp1"] == 3
    assert lab.kube["log"][3:] == [["replace", "ConfigMap", "kube-system", "calico-config"],
                                   ["replace", "IPPool", "", "default-ipv6-ippool"],
                                   ["replace", "DaemonSet", "kube-system", "calico-node"]]
    assert '"assign_ipv6": "false"' in lab.obj("ConfigMap", "calico-config")["data"]["cni_network_config"]
    assert lab.obj("IPPool", "default-ipv6-ippool")["spec"]["disabled"] is True
    assert lab.obj("IPPool", "default-ipv4-ippool") == v4_pool
    node = lab.obj("DaemonSet", "calico-node")
    env = {e["name"]: e.get("value") for e in node["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["FELIX_IPV6SUPPORT"] == "false" and env["IP6"] == "none"
    digest = hashlib.sha1(lab.obj("ConfigMap", "calico-config")["data"]["cni_network_config"].encode()).hexdigest()
    assert node["spec"]["template"]["metadata"]["annotations"]["dualstack.kubernetes.io/cni-network-config-sha1"] == digest
    assert lab.run("cni", ABSENT_CNI) == {"cp1": 0, "w1": 0}


def test_egress_role_way_back_ip_masq_agent(tmp_path):
    lab = Lab(tmp_path, objects("ip-masq-agent.yaml.txt"))
    published = copy.deepcopy(lab.obj("DaemonSet", "ip-masq-agent"))
    assert lab.run("egress", {"egress_mode": "ip-masq-agent"})["cp1"] == 2
    config = copy.deepcopy(lab.obj("ConfigMap", "ip-masq-agent"))
    assert lab.run("egress", ABSENT_EGRESS, check=True)["cp1"] == 1 and len(lab.kube["log"]) == 2
    assert lab.run("egress", ABSENT_EGRESS)["cp1"] == 1
    assert lab.kube["log"][2:] == [["replace", "DaemonSet", "kube-system", "ip-masq-agent"]]
    back = lab.obj("DaemonSet", "ip-masq-agent")
    assert back["spec"] == published["spec"], "the published DaemonSet again (no --enable-ipv6)"
    assert lab.obj("ConfigMap", "ip-masq-agent") == config
    assert lab.run("egress", ABSENT_EGRESS) == {"cp1": 0, "w1": 0}


def test_egress_role_way_back_without_anything_to_remove(tmp_path):
    lab = Lab(tmp_path, [])
    assert lab.run("egress", ABSENT_EGRESS) == {"cp1": 0, "w1": 0}
    assert lab.kube["log"] == []


@pytest.mark.skipif(not real_ip6tables_usable(), reason="needs root, ip6tables and ip netns")
def test_egress_role_way_back_real_ip6tables(tmp_path, netns_per_host):
    lab = Lab(tmp_path, [])
    for host, name in netns_per_host.items():
        for tool in ("ip6tables", "ip6tables-restore"):
            (tmp_path / host / tool).write_text('#!/bin/sh\nexec ip netns exec %s /usr/sbin/%s "$@"\n' % (name, tool))
            (tmp_path / host / tool).chmod(0o755)

    def save(host):
        out = subprocess.run(["ip", "netns", "exec", netns_per_host[host], "ip6tables", "-w", "-t", "nat", "-S"],
                             capture_output=True, text=True, check=True).stdout
        return out.splitlines()

    # A rule of somebody else's in POSTROUTING, before and after ours: it must survive.
    other = ["-A", "POSTROUTING", "-s", "fd00:99::/64", "-m", "comment", "--comment", "not ours", "-j", "MASQUERADE"]
    for name in netns_per_host.values():
        subprocess.run(["ip", "netns", "exec", name, "ip6tables", "-w", "-t", "nat"] + other, check=True)
    before = {host: save(host) for host in netns_per_host}
    assert lab.run("egress", {"egress_mode": "bridge"}) == {"cp1": 5, "w1": 5}
    for name in netns_per_host.values():
        subprocess.run(["ip", "netns", "exec", name, "ip6tables", "-w", "-t", "nat"] + other, check=True)
    assert lab.run("egress", ABSENT_EGRESS, check=True) == {"cp1": 1, "w1": 1}, "check mode shows the files it would remove"
    assert all(any("DUALSTACK-MASQ6" in line for line in save(host)) for host in netns_per_host), "check mode removes nothing"
    assert (tmp_path / "w1" / "systemd" / "dualstack-egress6.service").exists()
    assert lab.run("egress", ABSENT_EGRESS) == {"cp1": 2, "w1": 2}
    for host in netns_per_host:
        assert not (tmp_path / host / "systemd" / "dualstack-egress6.service").exists()
        assert not (tmp_path / host / "systemd" / "multi-user.target.wants" / "dualstack-egress6.service").is_symlink()
        assert not (tmp_path / host / "dualstack" / "ip6tables-egress.rules").exists()
        after = save(host)
        assert not any("DUALSTACK-MASQ6" in line for line in after)
        assert after == before[host] + ['-A POSTROUTING -s fd00:99::/64 -m comment --comment "not ours" -j MASQUERADE']
    assert lab.run("egress", ABSENT_EGRESS) == {"cp1": 0, "w1": 0}
