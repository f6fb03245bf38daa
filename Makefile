# The two commands of the README:
#   make main   install everything, bring the built-in lab up (single-stack), convert it to
#               dual-stack with playbooks/site.yml and print the verification table
#   make plan   validate examples/inventory.yml's target and print the flags (no host contacted)
#   make test   install everything, then run every test (unit, lint, sanity, galaxy, lab)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# The checkout, importable as the collection (a symlink in the git-ignored tests/output).
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/tests/output/.collections
export ANSIBLE_NOCOLOR := 1

.PHONY: main plan test venv collection host-packages unit integration lint sanity galaxy lab-test lab-test-single lab-test-units lab-test-calico lab-up lab-down rollback kill-points kill-points-ha bench bench-ha scale matrix host-packages-uml

main: host-packages venv collection lab-up
	PYTHONPATH=lab python -m dslab inventory > tests/output/lab-inventory.yml
	ANSIBLE_HOST_KEY_CHECKING=false ansible-playbook -i tests/output/lab-inventory.yml playbooks/site.yml -e @examples/lab-target.yml \
	  -e verify_report_path=$(CURDIR)/tests/output/dualstack-verify-report.json

plan: venv collection
	ansible-playbook -i examples/inventory.yml playbooks/plan.yml

test: host-packages venv collection unit integration lint sanity galaxy lab-test

# The Debian packages of lab/apt-packages.txt, installed when missing (as root).
host-packages:
	scripts/host-packages.sh

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

collection:
	@mkdir -p tests/output/.collections/ansible_collections/dualstack
	@ln -sfn ../../../../.. tests/output/.collections/ansible_collections/dualstack/kubernetes

unit:
	python -m pytest tests/unit

lint:
	ansible-lint --profile production

sanity:
	scripts/sanity.sh

# ansible-test integration targets (playbook tests with stand-ins; tests/integration/targets/).
integration:
	scripts/integration.sh

galaxy:
	scripts/galaxy-check.sh

lab-test:
	scripts/lab-test.sh

# The single control-plane kubeadm scenario (bad targets, faults, node metadata, a late node), out of CI for time
# since the HA scenario runs there (figures in the README).
lab-test-single: venv collection host-packages
	DUALSTACK_LAB_SCENARIOS=lab scripts/lab-test.sh

# The hand-installed (systemd units) scenario, left out of CI for time (figures in the README).
lab-test-units: venv collection host-packages
	DUALSTACK_LAB_SCENARIOS=units scripts/lab-test.sh

# The real-Calico scenario (calico-node built from ../shared/vendor), left out of CI for time.
lab-test-calico: venv collection host-packages
	DUALSTACK_LAB_SCENARIOS=calico scripts/lab-test.sh

lab-up: host-packages venv
	@mkdir -p tests/output
	PYTHONPATH=lab python -m dslab up

lab-down:
	PYTHONPATH=lab python -m dslab down

# The way back on the lab after `make main` (dual-stack -> verified single-stack).
rollback: venv collection
	PYTHONPATH=lab python -m dslab inventory > tests/output/lab-inventory.yml
	ANSIBLE_HOST_KEY_CHECKING=false ansible-playbook -i tests/output/lab-inventory.yml playbooks/rollback.yml

# SIGKILL at every kill point, each followed by a re-run that must verify (~1 h; see README).
kill-points: venv collection lab-up
	python tests/lab/kill_points.py

# The HA lab's half-converted control planes (after cp1's / cp2's apiserver, after one controller-manager), each
# taken back by rollback.yml and forward by site.yml; then, on the converted lab, kubeadm's upgrade diff / dry run
# and cp3 replaced with kubeadm join --control-plane (~1 h; figures in the README).
kill-points-ha: host-packages venv collection
	PYTHONPATH=lab python -m dslab down
	DUALSTACK_LAB_CONTROL_PLANES=3 PYTHONPATH=lab python -m dslab up
	python tests/lab/kill_points.py --ha
	python tests/lab/kubeadm_consistency.py

# The API side at 3 / 1,000 / 5,000 KWOK fake Nodes on the lab's control plane binaries (loopback, no
# lab nodes; ~6 min warm); figures in the README.
scale: venv collection
	$(VENV)/bin/pip install --quiet matplotlib
	python benchmarks/scale.py --nodes 3,1000,5000 --reregister

# The live version matrix: each release of tests/lab/matrix.py built (cached), brought up, converted, re-run and
# rolled back on the lab (~10 min per release once built), kube-proxy's nftables and IPVS modes on the newest
# release (IPVS on User-Mode Linux nodes: their kernel is built once, ~6 min), the newest pre-release as a preview
# allowed to fail; the table in the README.
matrix: host-packages-uml venv collection
	python tests/lab/matrix.py

# The lab's packages and those of nodes on User-Mode Linux kernels (lab/apt-packages-uml.txt).
host-packages-uml:
	scripts/host-packages.sh lab/apt-packages.txt lab/apt-packages-uml.txt

# Conversion benchmark on a fresh single-stack lab (rebuilt first); figures in the README.
bench: venv collection
	PYTHONPATH=lab python -m dslab down
	PYTHONPATH=lab python -m dslab up
	python benchmarks/conversion.py

# The same on the HA lab: three control planes behind HAProxy, the API probed through it (figures in the README).
bench-ha: host-packages venv collection
	PYTHONPATH=lab python -m dslab down
	DUALSTACK_LAB_CONTROL_PLANES=3 PYTHONPATH=lab python -m dslab up
	python benchmarks/conversion.py
