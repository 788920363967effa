"""The typed hand-off of configuration from a component (deploy time) to its handlers (run time).

Each pattern declares one frozen dataclass in ``functions/<pattern>/config.py`` that subclasses
:class:`HandoffConfig` and names its environment variable once (``VARIABLE``). The component
renders it to JSON (``to_json``) into that variable; the handler reads it back
(``from_environment``), typed and validated by the same dataclass, so defaults and checks are
written once and the two sides cannot drift apart.

Examples
--------
>>> @dataclass(frozen=True, kw_only=True)
... class CounterConfig(HandoffConfig):
...     VARIABLE: ClassVar[str] = "COUNTER_CONFIG"
...     table_name: str
...     max_increment: int = 100
>>> CounterConfig.from_json(CounterConfig(table_name="t").to_json())
CounterConfig(table_name='t', max_increment=100)
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

C = TypeVar("C", bound="HandoffConfig")


class ConfigError(ValueError):
    """The configuration variable is missing or does not match the dataclass."""


@dataclass(frozen=True)
class HandoffConfig:
    """Base of every pattern's configuration dataclass (JSON in one environment variable)."""

    VARIABLE: ClassVar[str]

    def to_document(self) -> dict[str, Any]:
        return to_document(self)

    def to_json(self) -> str:
        return json.dumps(self.to_document(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_document(cls: type[C], document: Mapping[str, Any]) -> C:
        return from_document(cls, document)

    @classmethod
    def from_json(cls: type[C], text: str) -> C:
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{cls.__name__}: not JSON: {exc}") from None
        return from_document(cls, document)

    @classmethod
    def from_environment(cls: type[C], environ: Mapping[str, str] | None = None) -> C:
        environ = os.environ if environ is None else environ
        text = environ.get(cls.VARIABLE)
        if text is None:
            raise ConfigError(f"{cls.VARIABLE} is not set: the component that deploys this function writes it")
        return cls.from_json(text)


def to_document(value: Any) -> Any:
    """A JSON-ready form of dataclasses, tuples, lists and mappings (``None`` fields kept)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_document(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_document(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_document(v) for k, v in value.items()}
    return value


def from_document(cls: type[C], document: Mapping[str, Any]) -> C:
    """Rebuild ``cls`` from :func:`to_document`'s output; unknown keys are refused."""
    return _convert(cls, document, cls.__name__)


def _convert(annotation: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _convert(option, value, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError("; ".join(errors))
    if origin is typing.Literal:
        if value not in typing.get_args(annotation):
            raise ConfigError(f"{where}: {value!r} is not one of {typing.get_args(annotation)}")
        return value
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected an object, got {type(value).__name__}")
        hints = typing.get_type_hints(annotation)
        fields = {f.name: f for f in dataclasses.fields(annotation) if f.init}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
        kwargs = {name: _convert(hints[name], value[name], f"{where}.{name}") for name in fields if name in value}
        try:
            return annotation(**kwargs)
        except TypeError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    if origin in (tuple, list, Sequence):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        args = typing.get_args(annotation)
        item = args[0] if args else Any
        items = [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return list(items) if origin is list else tuple(items)
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected an object, got {type(value).__name__}")
        args = typing.get_args(annotation)
        item = args[1] if len(args) == 2 else Any
        return {str(k): _convert(item, v, f"{where}.{k}") for k, v in value.items()}
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if annotation in (int, str, bool):
        if isinstance(value, bool) != (annotation is bool) or not isinstance(value, annotation):
            raise ConfigError(f"{where}: expected {annotation.__name__}, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported type {annotation!r}")
