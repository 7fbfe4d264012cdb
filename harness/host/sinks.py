"""Put candidate text into each place it goes, with that place's own escaping, after the one sanitiser.

Every function here starts from :func:`harness.wire.text.clean_text` (no surrogates,
no control or invisible characters, bounded length) and adds what its sink needs:

- :func:`terminal_text`: a Rich ``Text``, so that ``[green]20/20[/green]`` is shown, never rendered;
- :func:`csv_cell`: a leading ``= + - @`` is quoted, so a spreadsheet never runs it as a formula;
- :func:`html_text`: escaped for HTML;
- :func:`xml_text`: only characters XML 1.0 can hold (escaping is ElementTree's);
- :func:`file_name_for`: an injective, safe file name for a candidate's identity.
"""

from __future__ import annotations

import hashlib
import html
import re

from rich.text import Text

from harness.wire.text import clean_text

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_UNSAFE_IN_FILE_NAMES = re.compile(r"[^A-Za-z0-9._-]+")


def terminal_text(text: object, style: str = "") -> Text:
    """Candidate text for a Rich console: shown as written, never interpreted as markup or escapes."""
    return Text(clean_text(text), style=style)


def csv_cell(text: object) -> str:
    """Candidate text for a CSV cell that no spreadsheet will take for a formula."""
    cleaned = clean_text(text)
    return "'" + cleaned if cleaned.startswith(_FORMULA_STARTS) else cleaned


def html_text(text: object) -> str:
    """Candidate text for HTML."""
    return html.escape(clean_text(text), quote=True)


def xml_text(text: object) -> str:
    """Candidate text without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("\ufffd", clean_text(text))


def file_name_for(identity: str) -> str:
    """A file name for a candidate: readable, and different for different identities (always hashed)."""
    cleaned = _UNSAFE_IN_FILE_NAMES.sub("_", clean_text(identity)).strip("._") or "candidate"
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{cleaned[:80]}-{digest}"


def say(console, label: str, style: str, message: object) -> None:
    """Print ``label`` in ``style``, then ``message`` as plain, cleaned text (never markup)."""
    console.print(Text(label, style=style) + terminal_text(message))
