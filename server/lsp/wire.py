"""Messages as bytes: outgoing ones unstructured by lsprotocol's rules and written by orjson; incoming
ones read by orjson.

pygls turns a message into JSON in two steps: lsprotocol's cattrs converter makes plain dicts of it
(camelCase names; a field at its default left out unless the protocol needs it, as `result: null`),
then `json.dumps` writes them. For a 50-item completion answer both steps cost about the same. Here the
converter keeps every per-class rule but leaves plain values as they are (enums, optional and union
fields of strings and numbers, lists of them): cattrs then reads such a field inline instead of calling
a hook for it, and orjson, which writes enums as their values, writes the dicts about 9 times faster
than `json.dumps`. An answer written ahead as JSON (`fragment`, completion's) goes in as it is.

pygls reads a message with `json.loads` and an object hook called on every object in it (a didChange
holds six); orjson reads it in a fifth of the time, and only the message itself is structured.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Sequence
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

import cattrs
import orjson
from cattrs.fns import identity
from pygls.protocol import default_converter

_PLAIN_TYPES = (str, int, float, bool, NoneType)
# orjson reads an integer of 2**64 or more as a float; a message holding a number that long is read by
# `json.loads`, which keeps it an int.
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def _is_plain(declared: Any) -> bool:
    """Whether values of this declared type are written the same without unstructuring."""
    if declared in _PLAIN_TYPES:
        return True
    if isinstance(declared, type):
        return issubclass(declared, enum.Enum)
    origin = get_origin(declared)
    if origin is Literal:
        return True
    if origin in (Union, UnionType):
        return all(_is_plain(member) for member in get_args(declared))
    if origin in (list, tuple, Sequence):
        return all(_is_plain(member) for member in get_args(declared) if member is not Ellipsis)
    return False


def _leave_as_is(declared: Any) -> Callable[[Any], Any]:
    return identity


def converter() -> cattrs.Converter:
    """pygls' converter (lsprotocol's rules) with plain values left to the JSON writer."""
    # pygls' factory: lsprotocol's converter plus how JSON-RPC messages structure (it has no annotations).
    plain_values: cattrs.Converter = default_converter()  # type: ignore[no-untyped-call]
    plain_values.register_unstructure_hook_factory(_is_plain, _leave_as_is)
    return plain_values


def message_bytes(message: Any, unstructure: Callable[[Any], Any]) -> bytes:
    """A message as UTF-8 JSON; `unstructure` makes plain data of what JSON has no form for.

    orjson refuses strings holding a lone surrogate (valid in a Python string and, escaped, in JSON;
    a client may send one in a document): such a message is written by `json.dumps`, as pygls does.
    """
    try:
        return orjson.dumps(message, default=unstructure, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(message, default=unstructure).encode("utf-8")


def fragment(value: Any) -> orjson.Fragment:
    """Plain JSON data (dicts, lists, strings, numbers, no lsprotocol objects) written now, to go into a
    message as it is; a lone surrogate is written by `json.dumps`, as `message_bytes` does."""
    try:
        return orjson.Fragment(orjson.dumps(value))
    except orjson.JSONEncodeError:
        return orjson.Fragment(json.dumps(value).encode("utf-8"))


def read_message(body: bytes, structure: Callable[[Any], Any]) -> Any:
    """A message's JSON, `structure`d as pygls' reader does (its object hook passes every object but the
    message through as it is). What orjson refuses or would read otherwise (a lone surrogate, NaN, an
    integer past 64 bits) is read by `json.loads`, as pygls reads it."""
    if _LONG_NUMBER.search(body) is None:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
        else:
            return structure(data) if isinstance(data, dict) else data
    return json.loads(body, object_hook=structure)
