"""Pagination: pages and lazy item iterators that follow the server's links, never a guessed URL.

``LinkPaginator`` follows ``Link: <...>; rel="next"`` (parsed by ``httpx.Response.links``);
``TokenPaginator`` follows a token the body carries. Both keep ``cursor``, the address of the next page
to fetch: when a page fails (after the client's retries), iterating again resumes there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import httpx

__all__ = ["AsyncPaginator", "Page", "PageSpec", "Paginator"]

T = TypeVar("T")
#: Fetches one page: ``cursor`` is None for the first page, else what ``next_cursor`` returned.
Fetch = Callable[[str | None], httpx.Response]
AsyncFetch = Callable[[str | None], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: its items, the cursor it was fetched with, and the next page's cursor (None at the end)."""

    items: list[T]
    cursor: str | None
    next_cursor: str | None
    links: dict[str, str] = field(default_factory=dict)

    @property
    def has_next_page(self) -> bool:
        return self.next_cursor is not None

    @property
    def last_url(self) -> str | None:
        """``rel="last"`` where the server sent one."""
        return self.links.get("last")


@dataclass(frozen=True)
class PageSpec(Generic[T]):
    """How to read a page: its items, and where the next one is."""

    items: Callable[[httpx.Response], list[T]]
    next_cursor: Callable[[httpx.Response], str | None]


def link_next(response: httpx.Response) -> str | None:
    """The ``rel="next"`` URL of the ``Link`` header, if any."""
    return response.links.get("next", {}).get("url")


def _links(response: httpx.Response) -> dict[str, str]:
    return {str(rel): str(link["url"]) for rel, link in response.links.items() if "url" in link}


class _State:
    def __init__(self, cursor: str | None, max_pages: int | None, max_items: int | None) -> None:
        self.cursor = cursor
        self.done = False
        self.max_pages = max_pages
        self.max_items = max_items
        self.pages = 0
        self.items = 0
        self.seen: set[str] = set()

    def limit_reached(self) -> bool:
        return (self.max_pages is not None and self.pages >= self.max_pages) or (
            self.max_items is not None and self.items >= self.max_items)

    def advance(self, next_cursor: str | None) -> None:
        self.pages += 1
        # A next link we have already fetched would loop forever: stop there.
        if next_cursor is None or next_cursor in self.seen:
            self.done = True
        else:
            self.seen.add(next_cursor)
            self.cursor = next_cursor


class _Base(Generic[T]):
    def __init__(self, spec: PageSpec[T], *, cursor: str | None = None,
                 max_pages: int | None = None, max_items: int | None = None) -> None:
        self._spec = spec
        self._state = _State(cursor, max_pages, max_items)

    @property
    def cursor(self) -> str | None:
        """Where the next page will be fetched from (None: the first page, or the end when ``done``)."""
        return None if self._state.done else self._state.cursor

    @property
    def done(self) -> bool:
        return self._state.done

    def _page(self, response: httpx.Response, cursor: str | None) -> Page[T]:
        items = self._spec.items(response)
        st = self._state
        if st.max_items is not None:
            items = items[: max(0, st.max_items - st.items)]
        st.items += len(items)
        page = Page(items, cursor, self._spec.next_cursor(response), _links(response))
        # The URL just fetched counts as seen too: a next link back to it (the first page's included) loops.
        st.seen.add(str(response.request.url))
        st.advance(page.next_cursor)
        return page


class Paginator(_Base[T]):
    """``for item in paginator``, or ``for page in paginator.pages()``."""

    def __init__(self, fetch: Fetch, spec: PageSpec[T], *, cursor: str | None = None,
                 max_pages: int | None = None, max_items: int | None = None) -> None:
        super().__init__(spec, cursor=cursor, max_pages=max_pages, max_items=max_items)
        self._fetch = fetch

    def pages(self) -> Iterator[Page[T]]:
        st = self._state
        while not st.done and not st.limit_reached():
            cursor = st.cursor
            response = self._fetch(cursor)  # on failure the cursor stays: iterate again to resume
            yield self._page(response, cursor)

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items


class AsyncPaginator(_Base[T]):
    """``async for item in paginator``, or ``async for page in paginator.pages()``."""

    def __init__(self, fetch: AsyncFetch, spec: PageSpec[T], *, cursor: str | None = None,
                 max_pages: int | None = None, max_items: int | None = None) -> None:
        super().__init__(spec, cursor=cursor, max_pages=max_pages, max_items=max_items)
        self._fetch = fetch

    async def pages(self) -> AsyncIterator[Page[T]]:
        st = self._state
        while not st.done and not st.limit_reached():
            cursor = st.cursor
            response = await self._fetch(cursor)
            yield self._page(response, cursor)

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item
