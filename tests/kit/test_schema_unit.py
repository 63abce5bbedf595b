"""kit.schema: where a JSON body carries U+0000 (pure)."""

import json

import pytest

from cairn.kit.schema import may_hold_nul, nul_location


@pytest.mark.parametrize("document, where", [
    ({"a": "x", "b": ["y", {"c": "z\x00"}]}, ["b", 1, "c"]),
    ({"a\x00": "x"}, ["a\x00"]),
    ({"a": "\x00", "b\x00": 1}, ["a"]),  # the first in document order
    ({"a": {"b\x00": "\x00"}}, ["a", "b\x00"]),  # a member's name before its value
    (["\x00"], [0]),
    ("\x00", []),
    ({"a": "x", "n": 1, "t": True, "z": None}, None),
], ids=repr)
def test_the_first_nul_is_located(document, where):
    assert nul_location(document) == where
    assert nul_location(json.loads(json.dumps(document).encode("utf-32"))) == where
    if where is not None:  # as JSON carries it, in UTF-8 and UTF-32 alike
        assert may_hold_nul(json.dumps(document).encode()) and may_hold_nul(json.dumps(document).encode("utf-32"))


def test_a_deep_document_is_walked_without_recursion():
    deep: list = ["\x00"]
    for _ in range(100_000):
        deep = [deep]
    assert nul_location(deep) == [0] * 100_001


def test_only_the_escape_or_a_nul_byte_may_hold_nul():
    assert not may_hold_nul(json.dumps({"a": "plain ü", "b": [1, 2.5, None]}, ensure_ascii=False).encode())
    assert may_hold_nul(b'{"a": "C:\\\\u0000"}')  # an escaped backslash: a false alarm, then nul_location says so
    assert nul_location(json.loads(b'{"a": "C:\\\\u0000"}')) is None
