"""Reading a JSON array one element at a time, so a file larger than memory can be imported."""
from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ..db.errors import ImportAborted

#: Decoded text kept before the parse position is dropped once it exceeds this many characters.
_KEEP_BEHIND = 1 << 20


class _Window:
    """The text of a file from the parse position on, read in chunks as the parser needs it."""

    def __init__(self, fh: BinaryIO, path: Path, chunk_size: int) -> None:
        self.fh = fh
        self.path = path
        self.chunk_size = chunk_size
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.offset = 0  # bytes read so far

    def more(self) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.eof:
            return False
        # Reads at least as much as the unparsed tail holds, so a record that spans
        # many chunks is re-parsed a logarithmic number of times, not once per chunk.
        raw = self.fh.read(max(self.chunk_size, len(self.buf) - self.pos))
        try:
            text = self.utf8.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            raise ImportAborted(f"{self.path}: not valid UTF-8 near byte "
                                f"{self.offset + exc.start}",
                                hint="Re-save the file as UTF-8.") from None
        self.offset += len(raw)
        self.eof = not raw
        if self.pos > _KEEP_BEHIND:
            self.buf, self.pos = self.buf[self.pos:], 0
        self.buf += text
        return True

    def skip_ws(self) -> str:
        """The next character that is not white space ("" at the end of the file)."""
        while True:
            buf, pos = self.buf, self.pos
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            self.pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self.more():
                return ""

    def value(self, decoder: json.JSONDecoder, index: int, max_record: int) -> Any:
        """Decode the value at the parse position, reading more until it is complete."""
        while True:
            try:
                value, self.pos = decoder.raw_decode(self.buf, self.pos)
                return value
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos < max_record and self.more():
                    continue
                raise ImportAborted(f"{self.path}: record #{index} is not valid JSON: {exc.msg}",
                                    hint="Fix or remove that record.") from None


def iter_json_array(path: Path, chunk_size: int = 1 << 20, max_record: int = 16 << 20, *,
                    what: str = "node records",
                    hint: str = "nodes.json holds one list: [{\"id\": …}, …]."
                    ) -> Iterator[tuple[int, Any]]:
    """Yield (index, value) for each element of the JSON array in ``path``, one at a time.

    Uses the standard library's C decoder on a sliding window, so strings keep exactly what
    the file says (lone surrogates and NUL bytes included, for validation to report).
    ``what`` and ``hint`` say what the list should hold, for a file that is not a list.
    """
    decoder = json.JSONDecoder()
    with open(path, "rb") as fh:
        window = _Window(fh, path, chunk_size)
        if window.skip_ws() != "[":
            raise ImportAborted(f"{path}: expected a JSON list of {what}", hint=hint)
        window.pos += 1
        if window.skip_ws() == "]":
            return
        index = 0
        while True:
            yield index, window.value(decoder, index, max_record)
            index += 1
            sep = window.skip_ws()
            if sep == "]":
                return
            if sep != ",":
                raise ImportAborted(f"{path}: expected ',' or ']' after record #{index - 1}",
                                    hint="The file is truncated or not a JSON list.")
            window.pos += 1
            window.skip_ws()
