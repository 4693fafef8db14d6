"""Where views live and how the URL names them: the page registry, links that keep the agent's
organization, and widgets whose state is the URL's.

The URL is the view: a widget bound here takes its value from ``st.query_params`` on every run
(so a reload, a pasted link and the browser's Back/Forward all land on what the URL names) and
writes its value back in its ``on_change`` callback, before the script runs. So within a run the
URL and the widget always agree, and the URL wins whenever they would not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

import streamlit as st

T = TypeVar("T")
ORG_PARAM = "org"


@dataclass(frozen=True)
class View:
    path: str  # the script; its stem differs from url_path (see app.py)
    title: str
    icon: str
    url_path: str
    listed: bool = True


ATTENTION = View("views/attention.py", "Needs attention", ":material/notifications:", "")
LOADS = View("views/load_list.py", "Loads", ":material/local_shipping:", "loads")
LOAD = View("views/load_detail.py", "Load", ":material/package_2:", "load", listed=False)
WEBHOOKS = View("views/webhook_endpoints.py", "Webhook endpoints", ":material/webhook:", "webhooks")
DELIVERIES = View("views/delivery_log.py", "Deliveries", ":material/send:", "deliveries")
EVENT_TYPES = View("views/event_catalogue.py", "Event types", ":material/category:", "event-types")
DOCTOR = View("views/doctor.py", "Signature doctor", ":material/stethoscope:", "doctor")
ACTIVITY = View("views/activity_log.py", "Activity", ":material/history:", "activity")
ALERTS = View("views/alert_log.py", "Alerts", ":material/campaign:", "alerts")
SEARCH = View("views/find.py", "Search", ":material/search:", "search", listed=False)  # the box
VIEWS = (ATTENTION, LOADS, LOAD, WEBHOOKS, DELIVERIES, EVENT_TYPES, DOCTOR, ACTIVITY, ALERTS,
         SEARCH)  # fmt: skip
BY_NAME = {"load": LOAD, "deliveries": DELIVERIES, "webhooks": WEBHOOKS}  # a find.Hit's view
LIST_VIEW = ("tab", "q", "page", "size")  # the Loads list's parameters


# This run's ``st.Page`` per view (a script run has a thread of its own). A link given the page
# object skips Streamlit's resolving of a script path on disk, which was most of a link's cost.
_run = threading.local()


def pages() -> list[Any]:
    """The ``st.Page`` objects for ``st.navigation``; detail views are hidden from the menu."""
    _run.pages = {
        v: st.Page(
            v.path,
            title=v.title,
            icon=v.icon,
            url_path=v.url_path,
            default=v is ATTENTION,
            visibility="visible" if v.listed else "hidden",
        )
        for v in VIEWS
    }
    return list(_run.pages.values())


def _page(view: View) -> Any:
    return getattr(_run, "pages", {}).get(view, view.path)


def menu() -> None:
    """The views listed in the sidebar, as links that keep the organization."""
    for view in VIEWS:
        if view.listed:
            link(view, view.title, view.icon)


def _with_org(params: dict[str, str]) -> dict[str, str]:
    """``params`` without empty values, plus the agent's organization when there is one."""
    clean = {k: v for k, v in params.items() if v}
    org = st.query_params.get(ORG_PARAM)
    if org and ORG_PARAM not in clean:
        clean[ORG_PARAM] = org
    return clean


def linker(view: View) -> Callable[..., str]:
    """``href`` for many rows: the organization is read once."""
    org = _with_org({})

    def make(**params: str) -> str:
        query = urlencode({k: v for k, v in params.items() if v} | org)
        return f"{view.url_path}?{query}" if query else view.url_path or "./"

    return make


def href(view: View, **params: str) -> str:
    """A relative link for a table's link column (opens in a new tab: it must carry the org)."""
    query = urlencode(_with_org(params))
    return f"{view.url_path}?{query}" if query else view.url_path or "./"


def link(view: View, label: str, icon: str | None = None, container: Any = st, **params: str
         ) -> None:  # fmt: skip
    """An in-app link to ``view`` with ``params`` (and the organization)."""
    container.page_link(_page(view), label=label, icon=icon, query_params=_with_org(params))


def switch(view: View, **params: str) -> None:
    """Go to ``view`` with ``params`` (and the organization) now."""
    st.switch_page(_page(view), query_params=_with_org(params))


_NEXT = "_nav_next"  # a view a callback chose: opened as the next run starts


def switch_next(view: View, **params: str) -> None:
    """Go to ``view`` with ``params`` (and the organization) as the next run starts, before
    anything is drawn: for a callback, which may not switch pages itself (``follow_next``)."""
    st.session_state[_NEXT] = (view, _with_org(params))


def follow_next() -> None:
    """Switch to the view a callback chose (``switch_next``), if one did."""
    chosen = st.session_state.pop(_NEXT, None)
    if chosen is not None:
        view, params = chosen
        st.switch_page(_page(view), query_params=params)


def current(names: tuple[str, ...]) -> dict[str, str]:
    """The URL's values of ``names`` (those it has)."""
    return {k: st.query_params[k] for k in names if st.query_params.get(k)}


def set_params(**params: str) -> None:
    """Replace this view's query parameters (empty values dropped), keeping the organization."""
    wanted = _with_org(params)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


@dataclass(frozen=True)
class Bound(Generic[T]):
    """A widget (``key``) whose value is the URL's ``param``.

    ``parse`` turns the URL's text into a value (None when it is not a valid one); ``dump`` turns
    a value into the URL's text. The default value is left out of the URL.
    """

    key: str
    param: str
    default: T
    parse: Callable[[str], T | None]
    dump: Callable[[T], str] = str

    def url_value(self) -> T:
        raw = st.query_params.get(self.param)
        value = self.parse(raw) if raw is not None else None
        return self.default if value is None else value

    def load(self) -> T:
        """Call before drawing the widget: its state becomes what the URL says. Pass the value
        returned (``index`` for a select box) as the widget's own default too: a browser that
        draws the widget afresh (after a run that left it out, as a failed read does) starts it
        at its default, and the ``on_change`` would write that into the URL."""
        value = self.url_value()
        if self.key not in st.session_state or st.session_state[self.key] != value:
            st.session_state[self.key] = value
        return value

    def index(self, options: list[Any]) -> int:
        """Where the URL's value is among a select box's ``options`` (after ``load``; the first
        when it is not one of them, as Streamlit's own default)."""
        value = self.load()
        return options.index(value) if value in options else 0

    def store(self) -> None:
        """The widget's ``on_change``: write its new value into the URL."""
        write(self, st.session_state.get(self.key, self.default))


def write(bound: Bound[Any], value: Any) -> None:
    """Put ``value`` into the URL for ``bound`` (the default removes the parameter)."""
    text = "" if value is None or value == bound.default else bound.dump(value)
    if text:
        st.query_params[bound.param] = text
    elif bound.param in st.query_params:
        del st.query_params[bound.param]


def store_all(*bounds: Bound[Any], reset: tuple[Bound[Any], ...] = ()) -> Callable[[], None]:
    """An ``on_change`` that writes ``bounds`` and puts ``reset`` back to their defaults (a new
    filter starts at page 1)."""

    def callback() -> None:
        for b in bounds:
            b.store()
        for b in reset:
            write(b, b.default)

    return callback


def positive_int(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if value >= 1 else None


def one_of(options: list[str] | tuple[str, ...]) -> Callable[[str], str | None]:
    return lambda text: text if text in options else None


def text(value: str) -> str:
    return value
