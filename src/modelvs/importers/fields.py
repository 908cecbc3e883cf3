"""Look up catalog schema fields by path: their type and the order of their keys."""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from modelvs.catalog.schema import Model


def unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the type they wrap."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(options) == 1:
            return unwrap(options[0])
    return annotation


def field_type(path: Sequence[str], root: type[BaseModel] = Model) -> Any:
    """Return the type of the field at ``path`` (``("context", "input_tokens")``).

    Raises ``KeyError`` when a step names no field. A step into a ``dict`` field (such as
    ``sources``) accepts any key.
    """
    current: Any = root
    for step in path:
        current = unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if step not in current.model_fields:
                raise KeyError(step)
            current = current.model_fields[step].annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            raise KeyError(step)
    return unwrap(current)


def is_model_type(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def model_key_order(path: tuple[str, ...]) -> Sequence[str]:
    """Return the schema's key order for the mapping at ``path`` of a model file."""
    try:
        found = field_type(path)
    except KeyError:
        return ()
    return list(found.model_fields) if is_model_type(found) else ()
