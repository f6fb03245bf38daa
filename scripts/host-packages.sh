#!/usr/bin/env bash
# Install the Debian packages the lab needs (lab/apt-packages.txt, or the lists given) when any is missing, so
# that `make main` and `make test` are the whole set-up on a fresh Debian machine. Needs root for the
# install; prints what is missing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- lab/apt-packages.txt
mapfile -t wanted < <(cat "$@" | grep -v '^\s*#' | tr -s ' \t' '\n' | sed '/^$/d')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "host packages missing: ${missing[*]} (as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing host packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
