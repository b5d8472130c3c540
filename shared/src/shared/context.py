"""The request being served, for code far from its ``Request``: its id and its caller.

``RequestIdMiddleware`` opens a fresh context for every HTTP request and the token check
fills in the caller, so shared code (the audit trail, logging) can name who asked and under
which request id without every function passing them along.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.auth import Principal

_request_id: ContextVar[str | None] = ContextVar("sinergi_request_id", default=None)
_caller: ContextVar[Principal | None] = ContextVar("sinergi_caller", default=None)


@contextmanager
def serving(request_id: str) -> Iterator[None]:
    """Run the block as the request ``request_id``, its caller not yet known."""
    id_token = _request_id.set(request_id)
    caller_token = _caller.set(None)
    try:
        yield
    finally:
        _caller.reset(caller_token)
        _request_id.reset(id_token)


def request_id() -> str | None:
    """The id of the request being served (``X-Request-ID``), or None outside a request."""
    return _request_id.get()


def caller() -> Principal | None:
    """The authenticated caller of the request being served, or None."""
    return _caller.get()


def set_caller(principal: Principal) -> None:
    """Remember the caller the request's token names (called by the token check)."""
    _caller.set(principal)
