#!/usr/bin/env bash
# The Molecule scenarios `lab` (a real three-node kubeadm cluster in systemd-nspawn nodes) and
# `units` (the same nodes as a hand-installed cluster of systemd units),
# (built from source on first use, cached under ~/.cache/dualstack-lab), verified, torn down.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "lab: needs root (network namespaces, nspawn); run make test as root" >&2
  exit 1
fi
molecule test -s lab
molecule test -s units
