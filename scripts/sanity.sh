#!/usr/bin/env bash
# ansible-test sanity on the collection as shipped (git-tracked files minus the lab tooling and
# benchmarks, which galaxy.yml's build_ignore also leaves out), offline: see tests/sanity/get_pip_offline.py.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=$(command -v python)
"$repo/tests/sanity/prepare-ansible-test.sh" "$python"
work="$repo/tests/output/sanity-tree"
dest="$work/ansible_collections/dualstack/kubernetes"
rm -rf "$work"
mkdir -p "$dest"
cd "$repo"
git ls-files -z --cached --others --exclude-standard -- . ':!:lab' ':!:molecule' ':!:.ci' ':!:tests/unit/lab' ':!:tests/lab' ':!:benchmarks' \
  | xargs -0 -I{} cp --parents {} "$dest/"
cd "$dest"
git init --quiet . && git add --all
ansible-test sanity --python "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no "$@"
