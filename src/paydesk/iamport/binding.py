"""Binding the pure operations to a client as typed methods, once for both clients.

An operation is a function returning a ``Flow`` (or a ``Pager``).  ``endpoint``
and ``listing`` turn it into a method: on ``Iamport`` it returns the result,
on ``AsyncIamport`` an awaitable (or an async iterator).  The overloads of
``__get__`` give each client its exact signature, and the operation's
docstring becomes the method's.
"""

from __future__ import annotations

import functools
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


class endpoint(Generic[P, T]):
    """A method that runs the flow built by ``build`` on its client."""

    def __init__(self, build: Callable[P, Flow[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: Iamport, owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, client: AsyncIamport, owner: type[Any]) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, client: Iamport | AsyncIamport | None, owner: type[Any]) -> Any:
        if client is None:
            return self
        build, run = self.build, client.call

        @functools.wraps(build)
        def method(*args: Any, **kwargs: Any) -> Any:
            return run(build(*args, **kwargs))

        return method


class listing(Generic[P, T]):
    """A method that iterates the items of the pager built by ``build``."""

    def __init__(self, build: Callable[P, Pager[Any, T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: Iamport, owner: type[Any]) -> Callable[P, Iterator[T]]: ...
    @overload
    def __get__(self, client: AsyncIamport, owner: type[Any]) -> Callable[P, AsyncIterator[T]]: ...
    def __get__(self, client: Iamport | AsyncIamport | None, owner: type[Any]) -> Any:
        if client is None:
            return self
        build, walk = self.build, client.iterate

        @functools.wraps(build)
        def method(*args: Any, **kwargs: Any) -> Any:
            return walk(build(*args, **kwargs))

        return method
