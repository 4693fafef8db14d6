"""Text that did not come from this console's own code (URL parameters, API text, form input
echoed back) is data: shown as text, never as Markdown.

Escaping Markdown's characters is not enough, because Streamlit's Markdown also turns a bare
``https://…``, ``www.…`` or e-mail address into a live link; a link pasted from a customer's
ticket would then be a phishing channel inside the console, and an image would make the agent's
browser fetch it. So ``md()`` escapes every Markdown character and shows anything that could
become a link as inline code: readable and copyable exactly, never clickable or fetched.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'^%@/])")
_LINKISH = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[a-z][a-z0-9+.-]*:\S+",
    re.IGNORECASE,
)
LIMIT = 300  # characters of foreign text shown in one place; the rest is cut


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def _code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds."""
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    return f"{fence} {text} {fence}" if "`" in text else f"{fence}{text}{fence}"


def md(value: object, limit: int = LIMIT) -> str:
    """``value`` as literal text inside Markdown: no links, images, emphasis, HTML, LaTeX or
    directives; at most ``limit`` characters (then "…")."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    text = " ".join(text.split())  # no line breaks: one block cannot become several
    parts: list[str] = []
    pos = 0
    for match in _LINKISH.finditer(text):
        parts += [_escape(text[pos : match.start()]), _code(match.group())]
        pos = match.end()
    parts.append(_escape(text[pos:]))
    return "".join(parts)
