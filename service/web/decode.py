"""A response body's content coding (gzip, deflate) undone without ever holding more than the
page size limit.

Why: httpx decodes each network chunk whole. A "gzip bomb" of 64 KB that inflates to 64 MB
had 148 MB traced before the size check saw it (measured in tests/test_web_fetch.py), per
fetch, and fetches run side by side. Here each chunk is inflated with zlib's `max_length`:
no more than the room left under the limit (plus one byte, to see it is over) is ever
produced.

Only the codings httpx asks for without optional packages are read here: gzip and deflate
(`identity` passes through). br and zstd, asked for only when their package is installed,
are left to httpx (`BoundedDecoder.reads`); the fetcher refuses codings it did not ask for.
"""

from __future__ import annotations

import zlib

_READ = {"gzip", "x-gzip", "deflate", "identity"}


def _codings(content_encoding: str) -> list[str]:
    return [c.strip().lower() for c in content_encoding.split(",") if c.strip()]


class TooLarge(Exception):
    """The decoded body would pass the limit."""


class Undecodable(Exception):
    """The body does not decode as its content coding says."""


class _Inflater:
    """One gzip or deflate layer. deflate is zlib-wrapped by the standard and raw by some
    servers: a first chunk that is not zlib-wrapped is read again as raw deflate."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        gzip = coding in ("gzip", "x-gzip")
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._inflate.decompress(data, room + 1)
        except zlib.error as exc:
            if self.coding == "deflate" and not self._started:
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                return self.feed(data, room)
            raise Undecodable(f"{self.coding} content that does not decompress ({exc})") from exc
        self._started = True
        if len(out) > room:
            raise TooLarge
        return out


class BoundedDecoder:
    """Decodes a body chunk by chunk for a `Content-Encoding` header (codings applied in
    the order listed, so undone in reverse), never producing more than `limit` bytes."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = _codings(content_encoding)
        self._layers = [_Inflater(c) for c in reversed(codings) if c != "identity"]
        self.limit = limit
        self.size = 0

    @staticmethod
    def reads(content_encoding: str) -> bool:
        """Whether every coding is one this decoder undoes (br and zstd are left to httpx,
        which asks for them only when their package is installed)."""
        return set(_codings(content_encoding)) <= _READ

    def feed(self, data: bytes) -> bytes:
        """The decoded bytes of the next raw chunk; TooLarge once past the limit."""
        for layer in self._layers:
            data = layer.feed(data, self.limit - self.size)
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge
        return data
