"""The typed settings layer: one pydantic model per config section, and errors that name the key.

Every config section (``[recommend]``, ``[digests]``, ``[slack]`` ...) is a subclass of ``Settings``.
The model *is* the definition: the field's type says what is accepted, ``Literal[...]`` lists the
choices, ``Field(ge=..)`` the range, and the default written on the field is the only default there is
(code that needs one reads it from the model, never from a copy).

Adding a setting is one line in its section's class::

    pool_tenants: bool = False  # what it does, in a few words

or, with a range / choices::

    top_n: Annotated[int, Field(ge=1, le=100)] = 20
    mode: Literal["fast", "exact"] = "fast"

then a commented line in config.example.toml (tests/test_config.py fails on a field the example does
not document). Nothing else: unknown keys, wrong types, out-of-range values and unknown choices are
refused by the base class with a message that names the section, the key and what is valid.

Parsing is strict (no "5" for 5, no 1 for true): a config file that says something else than it
means should fail at start, not behave oddly later. An int is accepted where a float is expected.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError


class SettingsError(ValueError):
    """A config value is wrong; the message names section, key and the valid choices (one line)."""


class Settings(BaseModel):
    """Base of every config section: unknown keys are errors, values are type-checked strictly."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=False)


class PlatformSettings(Settings):
    """Base of an adapter's section: what it needs from the environment is checked before start."""

    def missing_secrets(self, env: Mapping[str, str]) -> list[str]:
        """The secrets (env vars, named in the section) this platform needs and the environment lacks."""
        return []


S = TypeVar("S", bound=Settings)


def _device(name: str) -> str:
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", name):
        raise ValueError(f'{name!r} is not a device: use "auto", "cpu", "cuda", "cuda:N" or "mps"')
    return name


# A torch device name ("auto" = the best one available).
Device = typing.Annotated[str, AfterValidator(_device)]


def parse_section(model: type[S], section: str, raw: Any) -> S:
    """``raw`` (a TOML table, or None for "not given") as ``model``, or a SettingsError naming the key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise SettingsError(f"[{section}] must be a table, got {type(raw).__name__}")
    try:
        return model.model_validate(dict(raw))
    except ValidationError as e:
        raise SettingsError(describe(e, model, section)) from None


def unknown_key(section: str, key: str, valid: typing.Iterable[str]) -> str:
    """``[section] key: unknown setting; valid: ...`` (for tables checked outside a model)."""
    names = sorted(valid)
    return f"[{section}] {key}: unknown setting; valid: {', '.join(names)}{did_you_mean(key, names)}"


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(error: ValidationError, model: type[BaseModel], section: str = "") -> str:
    """Every problem in ``error`` as ``[section] key: what is wrong; what is valid``, joined by "; "."""
    return "; ".join(_one(e, model, section) for e in error.errors(include_url=False))


def _one(err: Any, root: type[BaseModel], section: str) -> str:
    loc = [str(p) for p in err["loc"]]
    # Walk down nested sections ([recommend] -> cf ...) as far as the location names models.
    model, path, i = root, [section] if section else [], 0
    while i < len(loc):
        sub = _model_of(model, loc[i])
        if sub is None:
            break
        model, path, i = sub, [*path, loc[i]], i + 1
    where = "[" + ".".join(path) + "]" if path else ""
    key = ".".join(loc[i:])
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        if path:
            return unknown_key(".".join(path), key, _keys(model))
        valid = sorted(_keys(model))
        return f"[{key}]: unknown section; valid: {', '.join(valid)}{did_you_mean(key, valid)}"
    head = f"{where} {key}".strip() if key else where
    if kind in ("model_type", "model_attributes_type", "dataclass_type"):
        return f"{head}: must be a table, got {_show(value)}"
    if kind == "literal_error":
        choices = _literal_choices(model, loc[i]) if i < len(loc) else []
        valid = ", ".join(map(str, choices)) or err.get("ctx", {}).get("expected", "")
        return f"{head}: {_show(value)} is not one of: {valid}{did_you_mean(value, map(str, choices))}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    msg = msg[:1].lower() + msg[1:]
    if kind.startswith("value_error") or kind == "assertion_error":
        return f"{head}: {msg}" if key else f"{head} {msg}"  # a model-level check names its keys itself
    return f"{head}: {msg}, got {_show(value)}"


def _keys(model: type[BaseModel]) -> dict[str, Any]:
    """The keys a config file uses (a field's alias where it has one) -> the field."""
    return {f.alias or name: f for name, f in model.model_fields.items()}


def _model_of(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    field = _keys(model).get(name)
    if field is None:
        return None
    for typ in (field.annotation, *typing.get_args(field.annotation)):
        if isinstance(typ, type) and issubclass(typ, BaseModel):
            return typ
    return None


def _literal_choices(model: type[BaseModel], name: str) -> list[Any]:
    field = _keys(model).get(name)
    if field is None:
        return []
    ann = field.annotation
    if typing.get_origin(ann) is typing.Literal:
        return list(typing.get_args(ann))
    return [c for a in typing.get_args(ann) if typing.get_origin(a) is typing.Literal for c in typing.get_args(a)]


_USERINFO = re.compile(r"(://[^/@\s:]*:)[^/@\s]*@")


def _show(value: Any) -> str:
    # A PostgreSQL url may carry a password: never print it back.
    text = _USERINFO.sub(r"\1***@", repr(value))
    return text if len(text) <= 80 else text[:77] + "..."
