#!/usr/bin/env bash
# The cni and egress roles through ansible-playbook with stand-ins for kubectl and ip6tables (the
# two tests on real ip6tables in throwaway network namespaces are skipped without root).
set -euo pipefail
exec python -m pytest -q -p no:cacheprovider "$(dirname "$0")/test_cni_egress_roles.py"
