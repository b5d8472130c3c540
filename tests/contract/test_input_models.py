"""Every request body of every service is strict and bounded (shared.input), so a new field
cannot forget a bound: no unknown fields, no coercion, text without NUL or lone surrogates and
with a maximum length, integers within their column, lists of bounded size."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterator
from typing import Any

import annotated_types
import pytest
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo
from shared.input import clean_text
from shared.services import SERVICES
from shared.settings import Settings

FACTORIES = tuple(f"{service.name}.main" for service in SERVICES)


def _body_models() -> Iterator[tuple[str, type[BaseModel]]]:
    import importlib

    for module in FACTORIES:
        app = importlib.import_module(module).create_app(Settings(environment="test"))
        for route in _api_routes(app.routes):
            for param in route.dependant.body_params:
                model = param.field_info.annotation
                assert isinstance(model, type) and issubclass(model, BaseModel), route.path
                yield f"{','.join(sorted(route.methods))} {route.path}", model


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    # FastAPI keeps an included router as one route holding the router it includes.
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


BODIES = list(_body_models())


def _nested(annotation: Any) -> Iterator[type[BaseModel]]:
    for arg in typing.get_args(annotation) or (annotation,):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            yield arg
        elif typing.get_args(arg):
            yield from _nested(arg)


def _all_models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    yield model
    for field in model.model_fields.values():
        for inner in _nested(field.annotation):
            yield from _all_models(inner)


def _has(metadata: list[Any], kind: type) -> bool:
    return any(isinstance(m, kind) for m in metadata)


def _cleans_text(metadata: list[Any]) -> bool:
    return any(isinstance(m, AfterValidator) and m.func is clean_text for m in metadata)


def _problems(name: str, annotation: Any, metadata: list[Any]) -> Iterator[str]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                yield from _problems(name, arg, metadata)
        return
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        flat = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
        yield from _problems(name, inner, [*metadata, *flat])
        return
    if origin is typing.Literal or (
        isinstance(annotation, type) and issubclass(annotation, enum.Enum)
    ):
        return
    if annotation is str:
        patterned = any(getattr(m, "pattern", None) for m in metadata)
        if not patterned and not (
            _has(metadata, annotated_types.MaxLen) and _cleans_text(metadata)
        ):
            yield f"{name}: text needs Text (no NUL/surrogates) and a max_length"
    elif annotation is int:
        if not (_has(metadata, annotated_types.Le) or _has(metadata, annotated_types.Lt)):
            yield f"{name}: integer without an upper bound"
        if not (_has(metadata, annotated_types.Ge) or _has(metadata, annotated_types.Gt)):
            yield f"{name}: integer without a lower bound"
    elif annotation is float:
        if not _has(metadata, annotated_types.Le):
            yield f"{name}: number without an upper bound"
    elif origin is list:
        if not _has(metadata, annotated_types.MaxLen):
            yield f"{name}: list without a maximum size"
        (item,) = typing.get_args(annotation)
        yield from _problems(f"{name}[]", item, [])


def _field_metadata(field: FieldInfo) -> list[Any]:
    return list(field.metadata)


@pytest.mark.parametrize(("route", "model"), BODIES, ids=[r for r, _ in BODIES])
def test_every_request_body_is_strict_and_bounded(route: str, model: type[BaseModel]) -> None:
    problems: list[str] = []
    for each in _all_models(model):
        if (
            each.model_config.get("extra") != "forbid"
            or each.model_config.get("strict") is not True
        ):
            problems.append(f"{each.__name__}: model_config must be shared.input.STRICT_INPUT")
        for name, field in each.model_fields.items():
            problems += _problems(
                f"{each.__name__}.{name}", field.annotation, _field_metadata(field)
            )
    assert not problems, problems


def test_the_write_endpoints_are_all_covered() -> None:
    assert len(BODIES) >= 14  # ten entities' writes and four searches by NIK
