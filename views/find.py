"""Search (``/search?q=…``): whatever a broker reads out, found from one box.

The term's kind is read from its prefix and shape (``domain.find``), and only what that kind can
be is asked of the API (``data.find``). One hit opens at once; several are one list grouped by
kind, best match first, each row a link saying why it matched; none says what was searched (and
over which window, where Envoy cannot look a kind up by id) and what to try instead. The URL is
the view: a search pasted into a ticket opens the same result for a colleague.
"""

from __future__ import annotations

import streamlit as st

from components.data import find as finder
from components.domain import find
from components.domain.find import Kind, Query
from components.domain.markup import md
from components.ops import recent
from components.shell import errors, find_box, frame, nav

ctx = frame.ctx()
me = frame.user()
SEEN = "_find_seen"  # searches this session already opened: Back shows their list instead
TRY_INSTEAD = {
    Kind.EVENT: "Paste the message id instead (msg_…, the webhook-id header their receiver "
    "logged): a message is looked up directly, however old. Or open the endpoint's "
    "Deliveries and widen the window.",
    Kind.ATTEMPT: "Paste the message id instead (msg_…, the webhook-id header): a message is "
    "looked up directly with all its attempts, however old.",
    Kind.CALL: "Search for the load (its number or load_…) and open its Calls tab: Envoy lists "
    "calls per load only.",
    Kind.ESCALATION: "Search for the load (its number or load_…) and open its Escalations tab: "
    "Envoy lists only active escalations, and per load only.",
    Kind.TEXT: "Try a shorter part of the name, the load number alone, one city, or a part of "
    "the endpoint's URL (its host name).",
    Kind.CITY_PAIR: "Try one city alone, or the load number.",
    Kind.URL: "Try a part of the URL (its host name or its path), or the endpoint's description.",
}
NOT_HERE = (
    "It is not in this organization: it may belong to another organization (switch it in the "
    "sidebar), or a character may be mistyped."
)


def prompt() -> None:
    """No term: what the box takes, and the agent's recent searches and loads."""
    st.info(f"Type or paste anything into the box in the sidebar: {find.SEARCHABLE}.",
            icon=":material/search:")  # fmt: skip
    entries, problem = recent.recent(me, ctx.organization_id)
    if problem:
        st.caption(f"Your recent searches could not be read: {md(problem)}")
    searches = [e for e in entries if e.kind == "search"]
    loads = [e for e in entries if e.kind == "load"]
    left, right = st.columns(2)
    with left:
        st.subheader("Your recent searches")
        for e in searches:
            nav.link(nav.SEARCH, md(e.label, 80), ":material/search:", q=e.value)
        if not searches:
            st.caption("None yet.")
    with right:
        st.subheader("Loads you opened")
        for e in loads:
            nav.link(nav.LOAD, f"Load {md(e.label, 80)}", ":material/package_2:", load_id=e.value)
        if not loads:
            st.caption("None yet.")


def refuse(query: Query) -> None:
    """What cannot be searched gets one calm sentence, and nothing else."""
    if query.kind is Kind.SECRET:
        st.warning(
            "That looks like a signing secret or a credential. Secrets are never searched, "
            "stored or sent anywhere. Ask for the webhook-id (msg_…) or the endpoint's URL "
            "instead; to check a signature use the Signature doctor.",
            icon=":material/key_off:",
        )
    else:
        kind = query.what or "a kind the console does not know"
        st.info(
            f"{md(query.term)} is the id of {kind}, which the console cannot look up. "
            f"It finds {find.SEARCHABLE}.",
            icon=":material/info:",
        )


def should_open(raw: str, found: finder.Found) -> bool:
    """One hit opens at once: when the box just sent it, or the first time this session sees
    the URL (a pasted link); Back to an opened search shows its list instead."""
    if len(found.hits) != 1 or found.problems:
        return False
    just_sent = st.session_state.pop(find_box.OPEN_KEY, None) == raw
    seen: set[tuple[str | None, str]] = st.session_state.setdefault(SEEN, set())
    first = (ctx.organization_id, raw) not in seen
    seen.add((ctx.organization_id, raw))
    return just_sent or first


def open_hit(hit: find.Hit) -> None:
    nav.switch(nav.BY_NAME[hit.view], **dict(hit.params))


def show_hits(found: finder.Found) -> None:
    """One list grouped by kind, the best match first; each row a link and why it matched."""
    groups = find.rank(found.hits)
    total = sum(len(rows) for _, rows in groups)
    st.caption(f"{total} found for “{md(found.query.term, 120)}”, best match first.")
    for group, rows in groups:
        st.subheader(f"{group} · {len(rows)}")
        for hit in rows:
            nav.link(nav.BY_NAME[hit.view], md(hit.label, 120), None, **dict(hit.params))
            st.caption(f"Matched: {md(hit.why, 200)}")
        if group == "Loads" and found.more_loads:
            nav.link(nav.LOADS, f"{found.more_loads:,} more loads match: see them all on Loads",
                     ":material/list:", q=found.query.term)  # fmt: skip


def show_nothing(found: finder.Found) -> None:
    """None found: what was searched, over which window, and what to try instead."""
    query = found.query
    st.warning(f"Nothing found for “{md(query.term, 120)}”.", icon=":material/search_off:")
    st.markdown("**Searched:**\n" + "\n".join(f"- {md(s, 300)}" for s in found.searched))
    ids = (Kind.LOAD, Kind.MESSAGE, Kind.ENDPOINT, Kind.UUID)
    tip = NOT_HERE if query.kind in ids else TRY_INSTEAD.get(query.kind, NOT_HERE)
    st.markdown(f"**Try instead:** {tip}")


def show_problems(found: finder.Found) -> None:
    for what, exc in found.problems[:5]:
        errors.show(exc, what)
    if len(found.problems) > 5:
        st.caption(f"And {len(found.problems) - 5} more sources could not be read.")


# ---- the page ----

raw = st.query_params.get("q") or ""
query = find.read(raw)
st.title("Search")
if query.cut:
    st.info(
        f"That was {len(raw):,} characters; only the first {find.LIMIT} were searched.",
        icon=":material/content_cut:",
    )
if query.kind is Kind.EMPTY:
    prompt()
    st.stop()
if query.kind in (Kind.SECRET, Kind.UNSEARCHABLE):
    refuse(query)
    st.stop()
with st.spinner(f"Searching for {md(query.term, 80)}…"):
    result = finder.search(ctx, query)
recent.note_search(me, ctx.organization_id, query)
if should_open(raw, result):
    open_hit(result.hits[0])
show_problems(result)
if result.hits:
    show_hits(result)
else:
    show_nothing(result)
