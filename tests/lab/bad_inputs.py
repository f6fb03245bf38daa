#!/usr/bin/env python3
"""Bad targets fail in preflight on the real lab, and nothing on any host or in the API changes.

Needs a running single-stack lab (`PYTHONPATH=lab python3 -m dslab up`). For each invalid
configuration it runs playbooks/preflight.yml against the lab, expects a failure whose output
holds the rule's words, and compares checksums of every file the conversion manages and of
the relevant API objects before and after the whole run.
Run from the checkout with the venv's ansible on PATH and ANSIBLE_COLLECTIONS_PATH set (make collection).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import dslab, lab_target, require_collection  # noqa: E402  pylint: disable=wrong-import-position
GOOD = lab_target()
BAD = [
    # families and order
    ({"dualstack_pod_cidrs": "fd00:10:244::/56,10.244.0.0/16", "dualstack_service_cidrs": "fd00:10:96::/112,10.96.0.0/16"},
     "does not keep the current"),
    # the same target: every broken rule is reported in the one run, the IPv6-primary refusal too
    ({"dualstack_pod_cidrs": "fd00:10:244::/56,10.244.0.0/16", "dualstack_service_cidrs": "fd00:10:96::/112,10.96.0.0/16"},
     "put IPv6 first: this collection converts IPv4 single-stack clusters"),
    ({"dualstack_pod_cidrs": "10.244.0.0/16,10.245.0.0/16"}, "must be of different IP family"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,10.97.0.0/16"}, "must be of different IP family"),
    ({"dualstack_pod_cidrs": "10.244.0.0/16"}, "both must list the same families in the same order"),
    ({"dualstack_pod_cidrs": "10.244.0.0/16,fd00:10:244::/56,fd00:11::/56"}, "--cluster-cidr must not contain more than two entries"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:96::/112,fd00:11::/112"},
     "--service-cluster-ip-range must not contain more than two entries"),
    # existing ranges must be kept
    ({"dualstack_pod_cidrs": "10.245.0.0/16,fd00:10:244::/56"}, "does not keep the current --cluster-cidr[0]=10.244.0.0/16"),
    ({"dualstack_service_cidrs": "10.96.0.0/12,fd00:10:96::/112"}, "does not keep the current --service-cluster-ip-range[0]"),
    # syntax
    ({"dualstack_pod_cidrs": "10.244.0.0/16,not-a-cidr"}, "'not-a-cidr' is not a CIDR"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:96::"}, "'fd00:10:96::' is not a CIDR"),
    ({"dualstack_pod_cidrs": "10.244.0.0/33,fd00:10:244::/56"}, "not valid for its family"),
    ({"dualstack_pod_cidrs": ""}, "no CIDR given"),
    # host bits
    ({"dualstack_pod_cidrs": "10.244.0.0/16,fd00:10:244::1/56"}, "did you mean fd00:10:244::/56?"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:96::8/112"}, "did you mean fd00:10:96::/112?"),
    # special-purpose space
    ({"dualstack_pod_cidrs": "10.244.0.0/16,fe80::/64"}, "(link-local address space)"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,ff00::/112"}, "(multicast address space)"),
    ({"dualstack_pod_cidrs": "10.244.0.0/16,::ffff:10.0.0.0/104"}, "(IPv4-mapped address space)"),
    # overlap between pod, Service and node networks
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:244:ff::/112"}, "overlaps Service range"),
    ({"dualstack_node_cidrs": "192.168.77.0/24,fd00:10:244:5::/64"}, "overlaps node range"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:77::/112"}, "Service range fd00:77::/112 overlaps node range"),
    # sizes for this version
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:96::/64", "dualstack_kube_version": "1.33"}, "the mask must be >= 108"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:96::/107", "dualstack_kube_version": "1.20"}, "the mask must be >= 108"),
    ({"dualstack_service_cidrs": "10.96.0.0/16,fd00:10:96::/125"}, "too small, the minimum is 10"),
    ({"dualstack_kube_version": "1.15"}, "no IPv4/IPv6 dual-stack support"),
    ({"dualstack_kube_version": "banana"}, "'banana' is not a Kubernetes version"),
    ({"dualstack_kube_version": "1.20"}, "Kubernetes 1.20; the collection converts 1.21 and newer"),
    ({"dualstack_kube_version": "1.33"}, "dualstack_kube_version is 1.33 but the cluster's kube-apiserver reports v1.37"),
    # mask arithmetic
    ({"dualstack_node_mask_ipv6": 80}, "difference is greater than 16"),
    ({"dualstack_node_mask_ipv4": 8}, "node_mask_ipv4=8 but the cluster runs /24 for ipv4"),
    ({"dualstack_node_mask_ipv4": 26}, "node_mask_ipv4=26 but the cluster runs /24 for ipv4"),
    ({"dualstack_node_mask_ipv6": 40}, "mask size of cluster CIDR must be less than or equal"),
    ({"dualstack_node_mask_ipv6": 130}, "longer than an IPv6 address"),
    ({"dualstack_node_mask_ipv6": "abc"}, "node mask size must be a positive integer, got 'abc'"),
    ({"dualstack_pod_cidrs": "10.244.0.0/16,fd00:10:244::/112", "dualstack_node_mask_ipv6": 125}, "of 6 pod address(es)"),
    # capacity
    ({"dualstack_pod_cidrs": "10.244.0.0/16,fd00:10:244::/120"}, "cannot hold 6 node(s)"),
    ({"dualstack_node_mask_ipv6": 57}, "gives 2 node block(s)"),
    ({"dualstack_node_count": 100000}, "cannot hold 100000 node(s)"),
    ({"dualstack_pod_cidrs": "10.244.0.0/16,fd00:10:244::/112", "dualstack_max_pods": 300, "dualstack_node_mask_ipv6": 120},
     "at 300 pods per node"),
    ({"dualstack_max_pods": 0}, "max_pods must be a positive integer, got 0"),
    ({"dualstack_node_count": "abc"}, "node_count must be a positive integer, got 'abc'"),
    # feature gates
    ({"dualstack_feature_gates": "IPv6DualStack=maybe"}, "invalid value of IPv6DualStack=maybe"),
    ({"dualstack_feature_gates": "Bogus"}, "missing bool value for Bogus"),
    # deployment style
    ({"preflight_kubelet_unit": "kubelet-elsewhere"}, "cannot read how its components run"),
]
HOST_BAD = [  # per-host variables, given through a host_vars-like extra inventory
    ({"dslab-w1": {"dualstack_node_ips": ["192.168.77.21", "::1"]}}, "::1 is a loopback address"),
    ({"dslab-w2": {"dualstack_node_ips": ["192.168.77.22", "fd00:77::99"]}}, "lists fd00:77::99 but the host has no such address"),
    ({"dslab-w1": {"dualstack_node_ips": ["192.168.77.21", "fe80::1"]}}, "fe80::1 is a link-local address and cannot be a --node-ip"),
    ({"dslab-w1": {"dualstack_node_ips": ["0.0.0.0", "fd00:77::21"]}}, "0.0.0.0 is an unspecified address"),
    ({"dslab-w1": {"dualstack_node_ips": ["192.168.77.21", "ff02::1"]}}, "ff02::1 is a multicast address"),
    ({"dslab-w1": {"dualstack_node_ips": ["192.168.77.21"]}}, "node dslab-w1 has no IPv6 address"),
    ({"dslab-w1": {"dualstack_node_ips": ["192.168.77.21", "192.168.77.22"]}}, "two IPv4 addresses"),
    ({"dslab-w1": {"dualstack_node_ips": ["192.168.77.21", "banana"]}}, "'banana' is not an IP address for --node-ip"),
    ({"dslab-w1": {"dualstack_node_ips": ["192.168.77.29", "fd00:77::21"]}}, "never changes a node's IPv4 address"),
]
# CNIs the collection cannot convert, as manifest-only fixtures (their DaemonSets select no node,
# so no pod starts) or a node's CNI configuration: refused in preflight, nothing drained, nothing changed.
FIXTURE_NS = "dualstack-cni-fixture"


def _daemonset(name: str, image: str, configmaps: tuple = ()) -> dict:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": FIXTURE_NS},
            "spec": {"selector": {"matchLabels": {"k8s-app": name}},
                     "template": {"metadata": {"labels": {"k8s-app": name}},
                                  "spec": {"nodeSelector": {"dualstack.kubernetes.io/fixture": "no-node"},
                                           "containers": [{"name": name, "image": image}],
                                           "volumes": [{"name": cm, "configMap": {"name": cm}} for cm in configmaps]}}}}


def _configmap(name: str, data: dict) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": FIXTURE_NS}, "data": data}


LAB_CNI = os.environ.get("DUALSTACK_LAB_CNI") or "bridge"
OTHER_CNI = "flannel" if LAB_CNI == "calico" else "calico"
CNI_BAD = [  # (objects, a CNI config written first in /etc/cni/net.d of dslab-w1, extra vars, words)
    ([_daemonset("cilium", "quay.io/cilium/cilium:v1.16.0", ("cilium-config",)),
      _configmap("cilium-config", {"ipam": "cluster-pool", "enable-ipv6": "false"})], None, {}, "Cilium"),
    # (beside flannel the message is "several CNI agents run at once", naming each)
    ([_daemonset("weave-net", "docker.io/weaveworks/weave-kube:2.8.1")], None, {}, "Weave Net"),
    ([], {"cniVersion": "1.0.0", "name": "corp", "plugins": [{"type": "corp-net"}]}, {}, "corp-net"),
    ([], None, {"dualstack_cni": OTHER_CNI}, "dualstack_cni: '%s'" % OTHER_CNI),
]
if LAB_CNI == "calico":
    # A disabled IPv6 pool that overlaps the target's IPv6 pod range (fd00:10:244::/56) without holding it.
    CNI_BAD.append(([{"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "dualstack-fixture-v6"},
                      "spec": {"cidr": "fd00:10::/32", "blockSize": 122, "disabled": True}}], None, {},
                    "IPPool dualstack-fixture-v6 (fd00:10::/32, disabled) overlaps the target IPv6 pod range"))
FIXTURE_CONF = "/etc/cni/net.d/00-dualstack-fixture.conflist"

# Both deployment styles: kubeadm's manifests and flags file, a hand-installed cluster's units,
# environment file and kube-proxy config (a file a node does not have is left out of its print).
FILES = ["/etc/kubernetes/manifests/kube-apiserver.yaml", "/etc/kubernetes/manifests/kube-controller-manager.yaml",
         "/var/lib/kubelet/kubeadm-flags.env", "/var/lib/kubelet/config.yaml",
         "/etc/systemd/system/kube-apiserver.service", "/etc/systemd/system/kube-controller-manager.service",
         "/etc/kubernetes/controller-manager", "/etc/systemd/system/kubelet.service",
         "/etc/systemd/system/kube-proxy.service", "/var/lib/kube-proxy/config.yaml",
         "/etc/cni/net.d/10-flannel.conflist", "/run/flannel/subnet.env", "/etc/cni/net.d/10-calico.conflist"]
OBJECTS = [["-n", "kube-system", "get", "cm", "kube-proxy", "kubeadm-config", "--ignore-not-found", "-o", "json"],
           ["-n", "kube-flannel", "get", "cm", "kube-flannel-cfg", "--ignore-not-found", "-o", "json"],
           ["-n", "kube-system", "get", "cm", "calico-config", "--ignore-not-found", "-o", "json"],
           ["get", "daemonsets", "-A", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.template}{\"\\n\"}{end}"],
           ["get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.podCIDRs} {.status.addresses}{\"\\n\"}{end}"],
           ["get", "services", "-A", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.ipFamilyPolicy} {.spec.clusterIPs}{\"\\n\"}{end}"],
           ["get", "servicecidrs", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.cidrs}{\"\\n\"}{end}"]]
if LAB_CNI == "calico":
    OBJECTS.append(["get", "ippools.crd.projectcalico.org", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec}{\"\\n\"}{end}"])


def fingerprint() -> dict:
    prints = {}
    for node in ("cp1", "w1", "w2"):
        out = dslab("ssh", node, "sha256sum " + " ".join(FILES) + " 2>/dev/null; stat -c '%n %a %U' " + " ".join(FILES) + " 2>/dev/null; true")
        prints[node] = out
    for args in OBJECTS:
        text = dslab("kubectl", *args)
        if args[-1] == "json":  # resourceVersion-free content
            data = json.loads(text or "{\"items\": []}")  # --ignore-not-found prints nothing
            items = data["items"] if "items" in data else [data]  # one name gives the object itself
            text = json.dumps([{"name": i["metadata"]["name"], "data": i.get("data")} for i in items], sort_keys=True)
        prints[" ".join(args[:4])] = hashlib.sha256(text.encode()).hexdigest()
    return prints


def run_playbook(inventory: str, extra: dict, host_vars: dict, playbook: str = "preflight.yml",
                 options: tuple = ()) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as tmp:
        varsfile = Path(tmp, "vars.json")
        varsfile.write_text(json.dumps(dict(GOOD, **extra)))
        cmd = ["ansible-playbook", "-i", inventory, str(REPO / "playbooks" / playbook), "-e", "@%s" % varsfile, *options]
        if host_vars:
            hv = Path(tmp, "hosts.json")
            hv.write_text(json.dumps({"all": {"hosts": host_vars}}))
            cmd[3:3] = ["-i", str(hv)]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp)


def failure_message(output: str) -> str:
    """The first failed task's message, for the table."""
    for line in output.splitlines():
        if line.startswith("fatal:") or '"msg":' in line:
            return line.strip()[:160]
    return output.strip()[-160:]


def check_one(inventory: str, extra: dict, words: str, host_vars: dict) -> tuple:
    result = run_playbook(inventory, extra, host_vars)
    output = result.stdout + result.stderr
    passed = result.returncode != 0 and words in output and "changed=0" in output and "changed=1" not in output
    return passed, json.dumps(extra or host_vars), words, "" if passed else failure_message(output)


def check_cni(inventory: str, objects: list, conf: dict | None, extra: dict, words: str) -> tuple:
    """Put a CNI fixture in place, expect preflight to refuse it, take the fixture away again."""
    manifest = {"apiVersion": "v1", "kind": "List",
                "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": FIXTURE_NS}}, *objects]}
    if objects:
        dslab("kubectl", "apply", "-f", "-", stdin=json.dumps(manifest))
    if conf is not None:
        dslab("ssh", "w1", "cat > %s" % FIXTURE_CONF, stdin=json.dumps(conf))
    try:
        passed, what, words, got = check_one(inventory, extra, words, {})
    finally:
        if objects:
            dslab("kubectl", "delete", "namespace", FIXTURE_NS, "--wait=true", check=False)
        for obj in objects:  # cluster-scoped fixtures are not in the namespace
            if "namespace" not in obj["metadata"]:
                dslab("kubectl", "delete", obj["kind"].lower() + "s." + obj["apiVersion"].split("/")[0],
                      obj["metadata"]["name"], "--wait=true", check=False)
        if conf is not None:
            dslab("ssh", "w1", "rm -f %s" % FIXTURE_CONF, check=False)
    label = "CNI fixture: " + (", ".join(o["metadata"]["name"] for o in objects) or json.dumps(conf or extra))
    return passed, label, words, got


def without_host(inventory: str, host: str) -> str:
    """The lab inventory less one kube_node host: a Node of the cluster outside the inventory."""
    import yaml  # pylint: disable=import-outside-toplevel
    data = yaml.safe_load(Path(inventory).read_text())
    del data["all"]["children"]["k8s_cluster"]["children"]["kube_node"]["hosts"][host]
    path = Path(inventory).with_suffix(".less.yml")
    path.write_text(yaml.safe_dump(data))
    return str(path)


def check_outside_inventory(inventory: str) -> list:
    """dslab-w2 left out of the inventory: its Node would stay single-stack, so preflight refuses; with
    api_only too, since its kubelet reports one family (and the bridge CNI's gateway needs the host)."""
    less = without_host(inventory, "dslab-w2")
    out = []
    for extra, words, label in (
            ({}, "not in the inventory's k8s_cluster group: dslab-w2", "inventory without dslab-w2 (its Node is in the cluster)"),
            ({"dualstack_nodes_outside_inventory": "api_only"},
             "api_only cannot convert: dslab-w2 reports InternalIP 192.168.77.22 only, no IPv6",
             "inventory without dslab-w2, dualstack_nodes_outside_inventory: api_only")):
        passed, _, _, got = check_one(less, extra, words, {})
        out.append((passed, label, words, got))
    return out


def check_foreign_verify_namespace(inventory: str) -> tuple:
    """A namespace named like the verify role's (dualstack-verify) that the role did not create: refused in preflight,
    before anything changes, not by verify after the conversion; deleted again afterwards."""
    words = "namespace dualstack-verify exists but was not created by the verify role"
    dslab("kubectl", "create", "namespace", "dualstack-verify")
    try:
        passed, _, _, got = check_one(inventory, {}, words, {})
    finally:
        dslab("kubectl", "delete", "namespace", "dualstack-verify", "--wait=true", check=False)
    return passed, "someone else's namespace dualstack-verify (the verify role's name)", words, got


def main() -> int:
    # --every K: only every K-th bad target (the hand-installed lab runs a sample; the kubeadm lab all);
    # --only-cni: only the CNI fixtures (the flannel lab); --no-cni: none of them.
    every = int(sys.argv[sys.argv.index("--every") + 1]) if "--every" in sys.argv else 1
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as inv:
        inv.write(dslab("inventory"))
    before = fingerprint()
    failures = 0
    good = run_playbook(inv.name, {}, {})
    failures += good.returncode != 0
    print("%-4s %s" % ("ok" if good.returncode == 0 else "FAIL", "the good target passes preflight"))
    # Check mode of the whole conversion: it prints the plan and reports what it would change.
    check = run_playbook(inv.name, {}, {}, "site.yml", ("--check", "--diff"))
    check_ok = check.returncode == 0 and "kube-apiserver" in check.stdout and "--service-cluster-ip-range" in check.stdout
    failures += not check_ok
    print("%-4s %s" % ("ok" if check_ok else "FAIL", "site.yml --check --diff prints the plan and succeeds"))
    if not check_ok:
        print(check.stdout[-3000:])
    started = time.monotonic()
    cases = ([(e, w, {}) for e, w in BAD] + [({}, w, h) for h, w in HOST_BAD])[::every]
    if "--only-cni" in sys.argv:
        cases = []
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda case: check_one(inv.name, *case), cases))
    if "--only-cni" not in sys.argv:
        outside = check_outside_inventory(inv.name) + [check_foreign_verify_namespace(inv.name)]
        results += outside
        cases += ["outside inventory or namespace"] * len(outside)
    # CNI fixtures one at a time: each changes what runs for the others.
    if "--no-cni" not in sys.argv:
        results += [check_cni(inv.name, *case) for case in CNI_BAD]
        cases += CNI_BAD
    for passed, what, words, got in results:
        failures += not passed
        print("%-4s %-72s %s" % ("ok" if passed else "FAIL", what[:72], words))
        if got:
            print("       got: %s" % got)
    after = fingerprint()
    same = before == after
    failures += not same
    print("checksums of %d files x 3 nodes and %d API views identical before/after: %s" % (len(FILES), len(OBJECTS), same))
    if not same:
        for key in before:
            if before[key] != after.get(key):
                print("  changed: %s" % key)
    print("%d bad targets in %.1f s" % (len(cases), time.monotonic() - started))
    print("%d passed, %d failed" % (len(cases) + 3 - failures, failures))
    os.unlink(inv.name)
    Path(inv.name).with_suffix(".less.yml").unlink(missing_ok=True)
    return 1 if failures else 0


if __name__ == "__main__":
    require_collection()
    sys.exit(main())
