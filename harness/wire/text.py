"""The one sanitiser for text that comes from candidates: output, error messages, names, file names.

Candidate text is hostile data.  Before it reaches any sink (a result file, a
terminal, the SQLite gradebook, CSV, HTML, JUnit XML) it goes through
:func:`clean_text`, which

- replaces lone surrogates (from a broken ``str`` or a non-UTF-8 file name) with U+FFFD,
  so that encoding the text can never fail;
- removes control characters but tab and newline (ESC sequences, NUL, the C1
  controls), turns ``\\r`` into a newline (no overwriting a line on a terminal), and
  removes the invisible characters that reorder or hide text (bidi overrides and
  isolates, zero-width joiners);
- trims over-long lines and over-long text, saying how much was cut.

Each sink then adds its own escaping (Rich ``Text``, ``html.escape``, CSV formula
guard, XML escaping): see :mod:`harness.host.sinks`.
"""

from __future__ import annotations

import re

MAX_LINE_CHARS = 2_000
MAX_TEXT_CHARS = 200_000
REPLACEMENT = "\ufffd"
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
_DELETED = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127, *range(128, 160)])
_DELETED.update({ord(character): None for character in _INVISIBLE})
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: object, *, max_line: int = MAX_LINE_CHARS, max_total: int = MAX_TEXT_CHARS) -> str:
    """Return ``text`` safe for every sink: no surrogates, no control or invisible characters, bounded."""
    if not isinstance(text, str):
        text = str(text)
    if len(text) > 4 * max_total:  # do not spend time cleaning what will be cut anyway
        text = text[: 2 * max_total] + text[-2 * max_total :]
    text = _SURROGATE.sub(REPLACEMENT, text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_DELETED)
    if max_line and any(len(line) > max_line for line in text.split("\n")):
        text = "\n".join(
            line if len(line) <= max_line else line[:max_line] + f"... [{len(line) - max_line:,} characters trimmed]"
            for line in text.split("\n")
        )
    if max_total and len(text) > max_total:
        half = max_total // 2
        text = text[:half] + f"\n... [{len(text) - max_total:,} characters trimmed] ...\n" + text[-half:]
    return text


def clean_name(text: object, *, max_chars: int = 200) -> str:
    """A candidate's name, a file name or a path, cleaned as one line."""
    return clean_text(text, max_line=max_chars, max_total=max_chars).replace("\n", " ").replace("\t", " ")
