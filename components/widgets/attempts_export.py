"""The CSV exports on Deliveries, with or without payloads: an endpoint's attempts (every page
of the filter, up to 10,000 attempts) and the messages a Status filter shows."""

from __future__ import annotations

import streamlit as st

from components import data
from components.domain import deliveries
from components.shell import errors
from components.widgets import ui
from envoy_api import EnvoyError


def render(ctx: data.Ctx, flt: data.AttemptFilter, total: int) -> None:
    """The filter's attempts as a CSV: every page fetched on request (a spinner), then offered
    for download until the filter or the payload choice changes."""
    with st.expander(f"Export these {total:,} attempts to CSV", icon=":material/download:"):
        payloads = st.checkbox("Include payloads", key="dl_payloads")
        key = ("dl_export", flt, payloads)
        ready = st.session_state.get("dl_export")
        if ready and ready["key"] == key:
            if not ready["complete"]:
                st.warning("Only the newest 10,000 attempts were exported; narrow the filters.")
            ui.csv_download(
                ready["csv"],
                f"Download {ready['count']:,} attempts (CSV)",
                f"deliveries-{flt.endpoint_id}.csv",
                "dl_csv",
            )
            return
        if st.button("Prepare CSV", key="dl_export_start"):
            with st.spinner("Fetching every page of this filter…"):
                try:
                    rows, complete = data.walk_attempts(ctx, flt, max_pages=100)
                except EnvoyError as exc:
                    errors.show(exc, "the export")
                    return
            table = deliveries.attempts_frame(rows, payloads=payloads)
            st.session_state.dl_export = {
                "key": key,
                "count": len(rows),
                "complete": complete,
                "csv": table.to_csv(index=False).encode(),
            }
            st.rerun()


def messages(flt: data.AttemptFilter, shown: list[deliveries.MessageState], found: data.Messages
             ) -> None:  # fmt: skip
    """The messages shown (``flt``'s outcome, judged from ``found``) as a CSV, made on download."""
    with st.expander(f"Export these {ui.count(len(shown), 'message')} to CSV",
                     icon=":material/download:"):  # fmt: skip
        payloads = st.checkbox("Include payloads", key="dl_payloads")
        ui.csv_download(
            lambda: deliveries.outcomes_frame(
                shown, deliveries.payloads_of(found.attempts) if payloads else None
            ),
            f"Download {ui.count(len(shown), 'message')} (CSV)",
            f"deliveries-{flt.endpoint_id}-{flt.outcome or ''}.csv",
            "dl_csv",
        )
