"""A chat's dialogue state as JSON and back, so it outlives the process (the store keeps it per chat).

The state is frozen dataclasses (`ChatState`, `CheckState`, and the calculator's values inside a check) holding
tuples, frozensets, mappings and dates. Each dataclass is written with its name, and read back only if it is
one of the known classes below: a stored state never names code to run. Fields are matched by name, so a field
added later takes its default, and one removed is ignored; anything unreadable gives `None` (a fresh state).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from bot import contracts
from faq import calculator

KNOWN: dict[str, type] = {
    f"{module.__name__}.{name}": cls
    for module in (contracts, calculator)
    for name, cls in vars(module).items()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__
}


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = f"{type(value).__module__}.{type(value).__name__}"
        return {"__dc": kind, **{f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, date):
        return {"__date": value.isoformat()}
    if isinstance(value, frozenset | set):
        return {"__set": sorted((encode(v) for v in value), key=repr)}
    if isinstance(value, Mapping):
        return {"__map": {str(k): encode(v) for k, v in value.items()}}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a chat state")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "__date" in value:
        return date.fromisoformat(value["__date"])
    if "__set" in value:
        return frozenset(decode(v) for v in value["__set"])
    if "__map" in value:
        return MappingProxyType({k: decode(v) for k, v in value["__map"].items()})
    cls = KNOWN.get(value.get("__dc", ""))
    if cls is None:
        raise ValueError(f"not a known state class: {value.get('__dc')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: decode(v) for k, v in value.items() if k in names})


def dumps(value: Any) -> str:
    return json.dumps(encode(value), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    """The stored value, or None when it cannot be read back (then the chat simply starts afresh)."""
    try:
        return decode(json.loads(text))
    except (ValueError, TypeError, KeyError):
        return None
