"""Text from the API shown inside Markdown must stay text: escape it."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def md(value: object) -> str:
    """``value`` as literal Markdown text: no links, emphasis, HTML, LaTeX or directives."""
    return _SPECIAL.sub(r"\\\1", str(value))
