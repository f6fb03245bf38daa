"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test bootstraps pip in each sanity virtualenv by running a ``get-pip.py`` that it
downloads from a host this machine cannot reach (ansible/ansible#77304); it runs a cached
copy when one exists. ``prepare-ansible-test.sh`` caches *this* script there instead, next
to the matching pip wheel downloaded from PyPI: it installs that wheel exactly as get-pip
would install its embedded copy. Everything else ansible-test installs comes from PyPI.
"""

import glob
import os
import sys

WHEELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-wheels")
GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main():
    wheels = sorted(glob.glob(os.path.join(WHEELS, "pip-*.whl")))
    if not wheels:
        sys.exit("no pip wheel in %s: run tests/sanity/prepare-ansible-test.sh" % WHEELS)
    sys.path.insert(0, wheels[-1])
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    return pip_main(["install", "--no-index", "--find-links", WHEELS] + args)


if __name__ == "__main__":
    sys.exit(main())
