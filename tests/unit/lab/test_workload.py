"""tests/lab/workload.py's pure parts: where ansible-galaxy found the collection the lab scripts run."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))
import workload  # noqa: E402  pylint: disable=wrong-import-position


def test_collection_places_lists_where_ansible_galaxy_found_it():
    found = ('{"/w/tests/output/.collections/ansible_collections": {"dualstack.kubernetes": {"version": "1.1.0"}},'
             ' "/root/.ansible/collections/ansible_collections": {"community.general": {"version": "9.0.0"}}}')
    assert workload.collection_places(found) == ["/w/tests/output/.collections/ansible_collections"]


def test_collection_places_is_empty_when_nothing_was_found():
    # ansible-galaxy prints {} and exits 0 when no path holds the collection (ANSIBLE_COLLECTIONS_PATH unset).
    assert workload.collection_places("{}") == []
    assert workload.collection_places("") == []
    assert workload.collection_places('{"/p/ansible_collections": null}') == []
