#!/usr/bin/env bash
# The Molecule scenarios on the lab (real clusters in systemd-nspawn nodes, built from source on
# first use, cached under ~/.cache/dualstack-lab), each verified and torn down:
#   ha       kubeadm, three control planes behind HAProxy, the bridge CNI: half-converted control planes both
#            ways, convert and roll back with the API probed through the load balancer
#   flannel  kubeadm with real flannel: CNI refusals, pod-to-pod prober, convert, roll back
#   lab      kubeadm, one control plane, the bridge CNI: all bad targets, check mode, the faults, node metadata,
#            a node joined late, convert, roll back (make lab-test-single; out of CI for time since the ha scenario)
#   units    a hand-installed cluster of systemd units (make lab-test-units; not in CI for time)
#   calico   kubeadm with real Calico (VXLAN): CNI refusals, prober, convert without draining, roll
#            back (make lab-test-calico; not in CI for time)
# DUALSTACK_LAB_SCENARIOS picks them (default: ha flannel, what CI runs).
# Each scenario's whole output is also kept in tests/output/molecule-<scenario>.log; when one fails, its failed
# tasks are printed again last (a CI log is often read from its end, where Molecule puts only its recap).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "lab: needs root (network namespaces, nspawn); run make test as root" >&2
  exit 1
fi
mkdir -p tests/output
for scenario in ${DUALSTACK_LAB_SCENARIOS:-ha flannel}; do
  start=$(date +%s)
  log=tests/output/molecule-$scenario.log
  if ! molecule test -s "$scenario" 2>&1 | tee "$log"; then
    echo "molecule scenario $scenario failed after $(( $(date +%s) - start )) s; its failed tasks (whole output: $log):"
    python3 scripts/failed_tasks.py "$log"
    exit 1
  fi
  echo "molecule scenario $scenario passed in $(( $(date +%s) - start )) s"
done
