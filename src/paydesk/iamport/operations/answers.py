"""Reading an envelope's ``response`` into a model, and the one-request flow.

A success whose payload does not fit the model is reported as
``UnreadableAnswer``: for a write that means "it happened, but we cannot tell
the result", which must be reconciled like a lost answer.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import UnreadableAnswer
from ..exchange import ApiRequest, Envelope, Flow

__all__ = ["exchange", "parse", "parse_list", "unreadable"]

M = TypeVar("M", bound=BaseModel)


def unreadable(envelope: Envelope, problem: str) -> UnreadableAnswer:
    """The error for a success answer whose payload cannot be read."""
    request = envelope.request
    return UnreadableAnswer(
        f"unexpected {request.operation} answer: {problem}",
        write=not request.safe,
        http_status=envelope.http_status,
        **request.context(),
    )


def parse(model: type[M], envelope: Envelope) -> M:
    """The envelope's ``response`` as ``model``.

    Raises:
        UnreadableAnswer: the payload does not fit ``model``.
    """
    try:
        return model.model_validate(envelope.response)
    except ValidationError as exc:
        raise unreadable(envelope, str(exc)) from None


@cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    """One ``TypeAdapter`` per model, built on first use (building one is costly)."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def parse_list(model: type[M], envelope: Envelope) -> list[M]:
    """The envelope's ``response`` as a list of ``model`` (None reads as empty).

    Raises:
        UnreadableAnswer: the payload is not a list of ``model``.
    """
    payload: Any = envelope.response if envelope.response is not None else []
    try:
        items: list[M] = _list_adapter(model).validate_python(payload)
        return items
    except ValidationError as exc:
        raise unreadable(envelope, str(exc)) from None


def exchange(request: ApiRequest, model: type[M]) -> Flow[M]:
    """Send ``request`` once and read the answer as ``model``."""
    envelope = yield request
    return parse(model, envelope)
