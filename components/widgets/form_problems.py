"""A form's problems on screen, all at once: a line at the top of the form that counts them, and
each message right under the field it is about. Drawn inside the form, on the run that follows
its submission (``components.domain.forms`` finds the problems)."""

from __future__ import annotations

import streamlit as st

from components.domain import forms
from components.domain.markup import md


def summary(problems: forms.Problems, fields: dict[str, str] = forms.ENDPOINT_FIELDS) -> None:
    """'2 things to fix: the URL and the event types.' (nothing when there is none)."""
    if problems:  # the fields' names, in this console's words: Markdown-safe
        st.error(forms.to_fix(problems, fields), icon=":material/error:")


def under(problems: forms.Problems, field: str) -> None:
    """What to fix in ``field``, drawn right after its widget (nothing when it is fine)."""
    found = problems.get(field)
    if found:
        # What the agent typed is quoted in these messages: text, never Markdown.
        st.error("  \n".join(md(message) for message in found), icon=":material/arrow_upward:")
