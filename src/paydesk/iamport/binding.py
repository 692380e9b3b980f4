"""Binding the pure operations to a client as typed methods, once for both clients.

An operation is a function returning a ``Flow`` (or a ``Pager``).  ``endpoint``
and ``listing`` turn it into a method: on ``Iamport`` it returns the result,
on ``AsyncIamport`` an awaitable (or an async iterator).  The overloads of
``__get__`` give each client its exact signature for type checkers; for people
(``help()``, ``inspect.signature``, IDEs) the descriptor carries the
operation's name, docstring and signature.  A bound method is made once per
client and kept in the instance (like ``functools.cached_property``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from .exchange import Flow
from .paging import Pager

if TYPE_CHECKING:
    from typing import Self

    from .async_client import AsyncIamport
    from .client import Iamport

__all__ = ["endpoint", "listing"]

P = ParamSpec("P")
T = TypeVar("T")


def _inner(annotation: Any, prefix: str) -> str | None:
    text = annotation if isinstance(annotation, str) else None
    if text and text.startswith(prefix) and text.endswith("]"):
        return text[len(prefix) : -1]
    return None


def _describe(descriptor: Any, build: Callable[..., Any]) -> None:
    functools.update_wrapper(descriptor, build, updated=())
    signature = inspect.signature(build)
    descriptor.__signature__ = signature.replace(
        parameters=[
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
            *signature.parameters.values(),
        ]
    )


class _Bound:
    """Shared ``__set_name__``/``__get__`` caching for ``endpoint`` and ``listing``."""

    __name__: str
    __qualname__: str

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._attribute = name
        self.__qualname__ = f"{owner.__qualname__}.{name}"

    def _cache(self, client: Any, method: Callable[..., Any], returns: str | None) -> Any:
        functools.update_wrapper(method, self.build)  # type: ignore[attr-defined]
        signature = inspect.signature(self.build)  # type: ignore[attr-defined]
        method.__signature__ = (  # type: ignore[attr-defined]
            signature if returns is None else signature.replace(return_annotation=returns)
        )
        client.__dict__[self._attribute] = method
        return method


class endpoint(_Bound, Generic[P, T]):
    """A method that runs the flow built by ``build`` on its client."""

    def __init__(self, build: Callable[P, Flow[T]]) -> None:
        self.build = build
        _describe(self, build)

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: Iamport, owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, client: AsyncIamport, owner: type[Any]) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, client: Iamport | AsyncIamport | None, owner: type[Any]) -> Any:
        if client is None:
            return self
        build, run = self.build, client._call
        result = _inner(inspect.signature(build).return_annotation, "Flow[")
        is_async = inspect.iscoroutinefunction(run)
        returns = f"Awaitable[{result}]" if is_async and result else result

        def method(*args: Any, **kwargs: Any) -> Any:
            return run(build(*args, **kwargs))

        return self._cache(client, method, returns)

    def __call__(self, client: Iamport | AsyncIamport, /, *args: Any, **kwargs: Any) -> Any:
        """``Iamport.cancel(client, ...)`` works like ``client.cancel(...)``."""
        return self.__get__(client, type(client))(*args, **kwargs)


class listing(_Bound, Generic[P, T]):
    """A method that iterates the items of the pager built by ``build``."""

    def __init__(self, build: Callable[P, Pager[Any, T]]) -> None:
        self.build = build
        _describe(self, build)

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: Iamport, owner: type[Any]) -> Callable[P, Iterator[T]]: ...
    @overload
    def __get__(self, client: AsyncIamport, owner: type[Any]) -> Callable[P, AsyncIterator[T]]: ...
    def __get__(self, client: Iamport | AsyncIamport | None, owner: type[Any]) -> Any:
        if client is None:
            return self
        build, walk = self.build, client._iterate
        pages = inspect.signature(build).return_annotation
        item = pages.rsplit(",", 1)[-1].strip(" ]") if isinstance(pages, str) else None
        is_async = inspect.isasyncgenfunction(walk)
        returns = None if item is None else f"{'AsyncIterator' if is_async else 'Iterator'}[{item}]"

        def method(*args: Any, **kwargs: Any) -> Any:
            return walk(build(*args, **kwargs))

        return self._cache(client, method, returns)

    def __call__(self, client: Iamport | AsyncIamport, /, *args: Any, **kwargs: Any) -> Any:
        """``Iamport.iter_schedules(client, ...)`` works like ``client.iter_schedules(...)``."""
        return self.__get__(client, type(client))(*args, **kwargs)
