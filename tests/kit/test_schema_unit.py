"""kit.schema.nul_location: where a JSON body carries U+0000 (pure)."""

import json

import pytest

from cairn.kit.schema import nul_location


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
    assert nul_location(json.dumps(document).encode()) == where
    assert nul_location(json.dumps(document).encode("utf-32")) == where


@pytest.mark.parametrize("body", [b'{"a": "C:\\\\u0000"}', b'{"a": "\\u0000', b"\xff\x00", b"[" * 100_000 + b'"\\u0000"'],
                         ids=["escaped backslash", "not JSON", "not UTF-8", "nested too deep"])
def test_no_nul_where_no_string_holds_one(body):
    assert nul_location(body) is None
