#!/usr/bin/env bash
# Build the collection tarball, install it offline into an empty path, and use it from outside
# the checkout: ansible-doc for every plugin, the filters and the module through their FQCNs,
# and the main job's failure on a wrong configuration.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/tests/output/galaxy"
rm -rf "$out" && mkdir -p "$out/dist" "$out/collections"
export ANSIBLE_COLLECTIONS_PATH="$out/collections"  # only the installed copy, never the checkout
ansible-galaxy collection build --force --output-path "$out/dist" "$repo"
ansible-galaxy collection install --offline -p "$out/collections" "$out/dist"/dualstack-kubernetes-*.tar.gz
cd "$out"  # outside the checkout: only the installed collection is visible
for filter in ip_family dualstack_cidrs node_cidr_mask_size feature_gates service_ip_family_spec conversion_plan; do
  ansible-doc -t filter "dualstack.kubernetes.$filter" > /dev/null
done
for module in $(ls "$out/collections/ansible_collections/dualstack/kubernetes/plugins/modules" | grep '\.py$' | sed 's/\.py$//'); do
  ansible-doc -t module "dualstack.kubernetes.$module" > /dev/null
done
echo "ansible-doc: every plugin documented"
ansible-playbook -i localhost, "$repo/tests/integration/installed_collection.yml"
# The collection's own playbook by FQCN, from the installed copy.
ansible-playbook -i "$repo/examples/inventory.yml" dualstack.kubernetes.plan > "$out/plan.log"
grep -q "kubelet on dslab-w2: --node-ip=192.168.77.22,fd00:77::22" "$out/plan.log" || { cat "$out/plan.log"; exit 1; }
echo "ansible-playbook dualstack.kubernetes.plan from the installed collection: ok"
# The main job with a wrong configuration must fail, before anything changes, with the rule's words.
if ansible-playbook -i "$repo/examples/inventory.yml" "$repo/playbooks/plan.yml" \
     -e dualstack_kube_version=1.33 -e dualstack_service_cidrs=10.96.0.0/16,fd00:10:96::/64 > "$out/bad.log" 2>&1; then
  echo "FAIL: a /64 Service range on 1.33 was accepted" >&2; exit 1
fi
grep -q "for 128-bit addresses, the mask must be >= 108" "$out/bad.log" || { cat "$out/bad.log"; exit 1; }
echo "main job rejects a wrong configuration: ok"
