"""A kubectl read a poll can judge: one whole JSON object, not an empty or cut answer."""

from __future__ import annotations

import json

import pytest

from ansible_collections.dualstack.kubernetes.plugins.module_utils.kubectl_read import complete_json

NODE = json.dumps({"kind": "Node", "metadata": {"name": "w1"}, "status": {"conditions": []}}, indent=4)


def test_a_whole_object_can_be_judged():
    assert complete_json(NODE) and complete_json(NODE + "\n")


@pytest.mark.parametrize("text", ["", "\n", "   ", None, NODE[: len(NODE) // 2], NODE[:-1], "[]", '"x"', "null",
                                  "Error from server (Timeout): the server was unable to return a response"])
def test_an_empty_cut_or_other_answer_cannot(text):
    assert complete_json(text) is False


def test_json_object_returns_the_object_or_none():
    from ansible_collections.dualstack.kubernetes.plugins.module_utils.kubectl_read import json_object

    assert json_object(NODE)["metadata"]["name"] == "w1"
    assert json_object(NODE[:-1]) is None and json_object("[1]") is None and json_object("") is None
