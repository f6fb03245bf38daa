#!/usr/bin/env bash
# Let `ansible-test sanity` bootstrap pip offline: cache get_pip_offline.py where ansible-test
# looks for its get-pip script, with the pip wheel (from PyPI) that ansible-test pins.
set -euo pipefail
python=${1:-python3}
here=$(cd "$(dirname "$0")" && pwd)
pip_version=$("$python" - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements as r
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(r.get_venv_packages)).group(1))
PY
)
cache=~/.ansible/test/cache
mkdir -p "$cache/pip-wheels"
if ! ls "$cache/pip-wheels/pip-$pip_version-"*.whl >/dev/null 2>&1; then
  "$python" -m pip download --quiet --no-deps --only-binary=:all: -d "$cache/pip-wheels" "pip==$pip_version"
fi
install -m 0644 "$here/get_pip_offline.py" "$cache/get_pip_${pip_version//./_}.py"
echo "ansible-test pip $pip_version bootstrap: $cache/get_pip_${pip_version//./_}.py (offline)"
