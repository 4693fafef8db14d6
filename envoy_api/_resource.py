"""``APIResource``: the base of the resource groups that hang off ``EnvoyClient``; ``Transport``:
what such a group needs of its client.

A resource has no transport of its own: it is bound to its client's ``_request``, ``_parse``,
``_parse_list`` and ``_page`` (as openai-python's ``SyncAPIResource`` is to ``get``/``post``), so
every call shares the client's auth headers, retries, deadline and error mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from .models import Page

__all__ = ["APIResource", "Transport"]

M = TypeVar("M", bound=BaseModel)


class Transport(Protocol):
    """The part of ``EnvoyClient`` its resources use. A protocol, not the client itself: the
    client imports its resources, so importing it here would close an import cycle."""

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
    ) -> Any: ...

    def _parse(self, model: type[M], body: Any) -> M: ...

    def _parse_list(self, model: type[M], body: Any) -> list[M]: ...

    def _page(
        self, model: type[M], path: str, params: dict[str, Any], page: int, page_size: int
    ) -> Page[M]: ...


class APIResource:
    """One group of endpoints (``client.loads``, ``client.webhooks``) on one client."""

    def __init__(self, client: Transport) -> None:
        self._client = client
        self._request = client._request
        self._parse = client._parse
        self._parse_list = client._parse_list
        self._page = client._page
