#!/usr/bin/env bash
# Copy the collection as shipped (git-tracked files minus the lab tooling and benchmarks, which
# galaxy.yml's build_ignore also leaves out) to $1/ansible_collections/dualstack/kubernetes, a git
# tree as ansible-test wants it; print that directory.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$1
dest="$work/ansible_collections/dualstack/kubernetes"
rm -rf "$work"
mkdir -p "$dest"
cd "$repo"
git ls-files -z --cached --others --exclude-standard -- . ':!:lab' ':!:molecule' ':!:.ci' ':!:tests/unit/lab' ':!:tests/lab' ':!:benchmarks' \
  | xargs -0 -I{} cp --parents {} "$dest/"
cd "$dest"
git init --quiet . && git add --all
echo "$dest"
