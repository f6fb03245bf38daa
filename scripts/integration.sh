#!/usr/bin/env bash
# ansible-test integration targets (tests/integration/targets/) on the collection as shipped
# (scripts/collection-tree.sh), on this machine (--local); root-only ones run when root.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=$(command -v python)
dest=$("$repo/scripts/collection-tree.sh" "$repo/tests/output/integration-tree")
cd "$dest"
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
ansible-test integration --local --python "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --color no "${extra[@]}" "$@"
