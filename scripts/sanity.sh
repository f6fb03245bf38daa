#!/usr/bin/env bash
# ansible-test sanity on the collection as shipped (scripts/collection-tree.sh), offline: see
# tests/sanity/get_pip_offline.py.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=$(command -v python)
"$repo/tests/sanity/prepare-ansible-test.sh" "$python"
dest=$("$repo/scripts/collection-tree.sh" "$repo/tests/output/sanity-tree")
cd "$dest"
ansible-test sanity --python "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no "$@"
