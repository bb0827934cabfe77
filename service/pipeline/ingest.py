"""Ingest: files, folders and in-memory records in, validated Articles out.

Accepted: `.json` (one record, a list, `{"articles": [...]}`, or a stream of
records one after another, as `jq` prints them), `.jsonl` (one record a line),
`.csv`/`.tsv` (a header row naming the fields, one record a row), plain text
(`.txt`, `.md`, `.html`, anything else but office, PDF and archive files: one
article a file, the first line is the title), and `-` for standard input
(format sniffed). UTF-8, or UTF-16 with its byte-order mark (as Windows writes
it). Field names of common exports are understood (`body`, `content`, `headline`,
`link`, `publisher`, `publishedAt`, ..., in any case); unknown fields are ignored, and an
export's one list of records under another key (`{"data": [...]}`) is read as its
articles. A pipe or a file without a suffix is sniffed as standard input is. Every
failure names the file and line, so the user can fix the input; `skip_invalid` turns
per-record failures into warnings instead.
"""

from __future__ import annotations

import calendar
import codecs
import csv
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dateutil import parser as dateutil_parser
from dateutil import tz as dateutil_tz
from pydantic import ValidationError

from service.errors import EmptyInputError, IngestError, TextTooLargeError
from service.models import Article
from service.pipeline.clean import clean_text, normalise_unicode, plain_words
from service.pipeline.markup import without_markup
from service.redact import without_credentials

_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id", "article_id", "uid", "guid"),
    "title": ("title", "headline", "name"),
    "text": ("text", "body", "content", "article", "maintext", "story", "description"),
    "url": ("url", "link", "href", "source_url"),
    "source": ("source", "outlet", "publisher", "site_name", "sitename", "domain", "author"),
    "published_at": (
        "published_at",
        "published",
        "date",
        "pubDate",
        "publishedAt",
        "datePublished",
        "date_publish",
        "time",
    ),  # fmt: skip
    "language": ("language", "lang"),
}
_JSON_SUFFIXES = {".json"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_TABLE_SUFFIXES = {".csv", ".tsv"}
_NOT_TEXT_SUFFIXES = {
    ".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".ods", ".ppt", ".pptx",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".png", ".jpg", ".jpeg", ".gif",
}  # fmt: skip
_TEXT_SUFFIXES = {".txt", ".md", ".text", ""}
# a table's header in any case ("Title", "TEXT", "URL") -> the name the reader knows
_FIELD_NAMES = {alias.lower(): alias for names in _FIELD_ALIASES.values() for alias in names}
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_MAX_TITLE_CHARS = 300
# How a JSON document or JSONL opens: an object's first key (or its end), or an array's
# first value that is an object, array or string (or its end). A quote "'" counts, so that
# a pasted Python literal is told it is not JSON rather than read as a story. A number does
# not: "[12:30 GMT] Storm hits ..." and "[2024] The year in review" are stories (a list
# of numbers that parses is still read as JSON, and refused as holding no articles).
_JSON_OPENING = re.compile(r"""\{\s*["'}]|\[\s*[{\["'\]]""")
# A line that is nothing but a date, as wikis and exports open a story: "Sunday, July 29,
# 2007", "29 July 2007", "2007-07-29". Read (among the first lines) when no date is given.
_DATE_LINE = re.compile(
    r"^(?:(?P<weekday>[A-Z][a-z]+day),?\s+)?"
    r"(?:(?P<month>[A-Z][a-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"|(?P<day2>\d{1,2})\s+(?P<month2>[A-Z][a-z]+)\.?,?\s+(?P<year2>\d{4})"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}))\s*$"
)
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")
_TO_UTF8 = "convert it to UTF-8, for example with iconv -f latin1 -t utf-8"
_UNIX_SECONDS = re.compile(r"^\d{9,11}(?:\.\d+)?$")  # not "20240101", a basic ISO date
_MONTHS = [m.lower() for m in calendar.month_name[1:]]
_MONTH_ABBREVIATION = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?")
# "Tue, 10 Jun 2003 04:00:00 GMT": the shape email's parser reads right; looser strings
# ("Sep 5, 2023 2:00 PM EST") it read as 02:00 with no zone
_RFC_2822 = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[+-]\d{4}|UT|UTC|GMT|[ECMP][SD]T|Z))?$"
)
_ZONES = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "BST": 3600, "CET": 3600,
    "CEST": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800, "JST": 32400, "KST": 32400,
    "AEST": 36000, "AEDT": 39600, "EST": -18000, "EDT": -14400, "CST": -21600,
    "CDT": -18000, "MST": -25200, "MDT": -21600, "PST": -28800, "PDT": -25200,
}  # fmt: skip
# US news writes "10:00 a.m. ET": the zone of New York, EST in winter and EDT in summer
# (the system's zone files, else dateutil's own copy, so a machine without tzdata reads it)
_US_ZONES = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
             "PT": "America/Los_Angeles"}  # fmt: skip
_ZONES |= {name: dateutil_tz.gettz(zone) for name, zone in _US_ZONES.items()}
_ZONE_NAME = re.compile(r"\b[A-Z]{1,5}\b")
_NOT_ZONES = frozenset(
    {"AM", "PM", "A", "P"}
    | {m[:3].upper() for m in _MONTHS}
    | {"SEPT"}
    | {d[:3].upper() for d in calendar.day_name}
)
_DEFAULT_A = datetime(2000, 1, 1)  # two dates that differ in year, month and day
_DEFAULT_B = datetime(2001, 2, 2)
# (matched after tabs and line breaks are taken out: a browser drops them, so "java\tscript:"
# is a script link too)
_SCRIPT_SCHEME = re.compile(r"^[\s\x00-\x1f]*(?:javascript|vbscript|data)\s*:", re.IGNORECASE)
_DROPPED_BY_BROWSERS = re.compile(r"[\t\r\n]")
_YEAR_FIRST = re.compile(r"^\d{4}[/.-]\d{1,2}[/.-]\d{1,2}(?!\d)")  # "2024-03-05T10:00 CEST" too
_DATE_LINES_READ = 3  # a title and a byline may come first


@dataclass
class IngestResult:
    """Articles read, plus warnings about records that were skipped or renamed."""

    articles: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # where each article came from ("file.jsonl:12"), for errors found after reading
    locations: dict[str, str] = field(default_factory=dict)


def _pick(record: Mapping[str, Any], name: str) -> Any:
    """The field's value under its first alias that has one; a key in another case
    ("Title", "CONTENT") counts too, as a table's header does: an export with such keys
    had been refused as "no 'text' (or 'content')" while its 'Content' held the story."""
    by_lower: dict[str, Any] | None = None
    for key in _FIELD_ALIASES[name]:  # in the aliases' order: "Body" before "description"
        value = record.get(key)
        if value in (None, ""):
            by_lower = _lower_keys(record) if by_lower is None else by_lower
            value = by_lower.get(key.lower())
        if value not in (None, ""):
            return value
    return None


def _lower_keys(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's fields by lower-cased name; of two names in other cases, the first."""
    found: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(key, str) and value not in (None, ""):
            found.setdefault(key.lower(), value)
    return found


def _as_text(value: Any) -> str | None:
    """A field's text; lenient (for ids and outlet names), see `_text_of` for the strict one."""
    if value is None:
        return None
    if isinstance(value, list):  # some exports keep paragraphs as a list
        return "\n\n".join(str(v) for v in value)
    if isinstance(value, Mapping):  # {"name": "Reuters"} style outlets
        inner = value.get("name") or value.get("title") or value.get("text")
        return str(inner) if inner is not None else None
    return str(value)


def _text_of(record: Mapping[str, Any], name: str, location: str) -> str | None:
    """A text field as the API reads it: a string, a list of strings (paragraphs), or for
    the outlet `{"name": ...}`. A number, a truth value or a mixed list is refused naming
    the field, as the API refuses it, not turned into "12345" or dropped item by item."""
    value = _pick(record, name)
    paragraphs = (  # a text's paragraphs, or a JSON-LD list of authors
        name in ("text", "source")
        and isinstance(value, list)
        and all(isinstance(v, str) for v in value)
    )
    outlet = name == "source" and isinstance(value, Mapping)
    if outlet:  # {"name": "Reuters"}: the name itself must be text, not 5, 0, false or ["a"]
        inner = next((value[k] for k in ("name", "title", "text") if value.get(k) is not None), "")
        if not isinstance(inner, str):
            value = inner
            outlet = False
    if value is None or isinstance(value, str) or paragraphs or outlet:
        return _as_text(value)
    kind = "true/false" if isinstance(value, bool) else type(value).__name__
    raise IngestError(
        f"'{name}' should be text, got {kind}",
        location=location,
        hint=f"write the {name} as a string",
    )


def _field(record: Mapping[str, Any], name: str, *, markup: bool = False) -> str:
    """A short field as text, its control characters and zero-width ones out (and its HTML,
    if `markup`); "" when absent. A list of names ("author": ["A", "B", "C"]) reads "A, B &
    C": "According to AP, AFP, ..." had read as an outlet and the claim's first word."""
    value = _pick(record, name)
    if isinstance(value, list):
        names = [str(v) for v in value]
        value = " & ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)
    text = _ZERO_WIDTH.sub("", normalise_unicode(_as_text(value) or ""))
    return " ".join(without_markup(text).split()) if markup else text


# zero-width spaces and joiners, the word joiner: "Outlet B\u200b" is the outlet "Outlet B"
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060]")


def _parse_date(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):  # an int to Python: True had become 1970-01-01T00:00:01
        raise ValueError(f"date {value!r} is not a date")
    if isinstance(value, (int, float)):  # a Unix timestamp in seconds
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"date {value!r} is not a Unix timestamp in range") from exc
    text = str(value).strip()
    if _UNIX_SECONDS.match(text):  # "1243850000": exports that write every field as a string
        return _parse_date(float(text))
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    if _RFC_2822.match(text):  # RSS dates: "Tue, 10 Jun 2003 04:00:00 GMT"
        from email.utils import parsedate_to_datetime

        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError):
            pass
    return _written_date(text)


_NUMBERS_YEAR_LAST = re.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_DATE_FORMATS = (
    "as ISO 8601 ('2007-07-08', '2007-07-08T10:00:00Z'), with the month's name "
    "('July 8, 2007'), or as RFC 2822 ('Sun, 08 Jul 2007 10:00:00 GMT')"
)


def _written_date(text: str) -> datetime:
    """A date written out with its month's name ("July 29, 2007", "29 July 2007 10:00 PM
    EDT"), or year first ("2007/07/29"). Refused rather than guessed: all-number dates
    with the year last ("07/08/2007" is July 8 in one country and August 7 in another), a
    date missing its day or year (it would be filled from today), a zone name it does not
    know (hours off), and words such as "yesterday"."""
    named_month = any(m in text.lower() for m in _MONTHS) or bool(_MONTH_ABBREVIATION.search(text))
    zones = {z for z in _ZONE_NAME.findall(text) if z.upper() not in _NOT_ZONES}
    if (named_month or _YEAR_FIRST.match(text)) and zones <= set(_ZONES):
        try:
            once = dateutil_parser.parse(text, default=_DEFAULT_A, tzinfos=_ZONES)
            twice = dateutil_parser.parse(text, default=_DEFAULT_B, tzinfos=_ZONES)
        except (ValueError, OverflowError):
            pass
        else:
            if once == twice:
                return once
    shown = repr(text[:40])
    if numbers := _NUMBERS_YEAR_LAST.match(text):
        first, second = (int(n) for n in re.findall(r"\d+", numbers.group())[:2])
        why = (  # "07/29/2007" is no riddle, but "07/08/2007" beside it would be
            "ambiguous (day and month could be either way round)"
            if first <= 12 and second <= 12
            else "written in numbers with the year last, which is never guessed at "
            "('07/08/2007' is July 8 in one country and August 7 in another)"
        )
        raise ValueError(f"date {shown} is {why}; write it year first, {_DATE_FORMATS}")
    if _not_on_the_calendar(text):
        raise ValueError(f"date {shown} is no day of the calendar (check its month and day)")
    unknown = sorted(zones - set(_ZONES))
    if unknown and (named_month or _YEAR_FIRST.match(text)):
        raise ValueError(
            f"date {shown} names a time zone this reader does not know "
            f"({', '.join(unknown)}); write its offset instead (+02:00), {_DATE_FORMATS}"
        )
    raise ValueError(
        f"date {shown} is not a date this reader understands; write it {_DATE_FORMATS}"
    )


def _not_on_the_calendar(text: str) -> bool:
    """Year first with a month or day that no calendar has ("2007-13-45", "2023-02-30"):
    "not a date this reader understands" had sent the user to fix a format that was right."""
    numbers = _YEAR_FIRST.match(text)
    if not numbers:
        return False
    year, month, day = (int(n) for n in re.split(r"[/.-]", numbers.group()))
    try:
        datetime(year, month, day)
    except ValueError:
        return True
    return False


def record_to_article(
    record: Mapping[str, Any],
    *,
    default_id: str,
    location: str,
    markup: bool = True,
    max_text_bytes: int | None = None,
) -> Article:
    """Build an Article from a loosely shaped record; raise IngestError naming `location`.
    `markup` False: the text is already plain (a page extractor's), not HTML to read. A
    text over `max_text_bytes` once cleaned raises `TextTooLargeError`, one over
    `UNCLEANED_LIMIT_FACTOR` times it before it is cleaned."""
    if not isinstance(record, Mapping):
        raise IngestError(
            f"expected an object with a 'text' field, got {_json_kind(record)}",
            location=location,
            hint='give each article as an object, as in {"title": ..., "text": ...}',
        )
    for name in ("text", "title", "source", "url", "language"):
        _text_of(record, name, location)  # each text field is text
    raw_text = _as_text(_pick(record, "text"))
    if max_text_bytes is not None and raw_text:
        _refuse_far_too_large(raw_text, max_text_bytes, record, default_id, location)
    text = clean_text(raw_text or "", markup=markup)
    if not text.strip() and raw_text and raw_text.strip():
        raise IngestError(
            "nothing but page furniture (subscribe, share and follow lines, captions): no "
            "story text is left once they are taken out",
            location=location,
            hint="give the story's own text, or pass --skip-invalid to leave such records out",
        )
    if not text.strip():
        raise IngestError(
            "empty article: no 'text' (or 'body'/'content') with any words"
            + _fields_it_has(record, raw_text),
            location=location,
            hint="give every article its text, or pass --skip-invalid to leave such records out",
        )
    title = " ".join(_field(record, "title", markup=True).split())  # one line
    if title:
        text = _without_repeated_headline(text, title)
    else:
        title = first_line(text)
    article_id = _field(record, "id") or default_id
    # shown as the source's link, to whoever reads the digest: never its "user:password@"
    url = without_credentials(_field(record, "url")) or None
    if url and _SCRIPT_SCHEME.match(_DROPPED_BY_BROWSERS.sub("", url)):
        # a digest links each source: "javascript:alert(1)" would be a script link there
        # (a saved page's file:// address stays: it is the reader's own file)
        raise IngestError(
            f"'url' {url[:40]!r} is a script, not an address",
            location=location,
            hint="give the article's web address (https://...), or leave 'url' out",
        )
    try:
        published_at = _parse_date(_pick(record, "published_at"))
    except ValueError as exc:  # a date that cannot be one
        raise _DateError(str(exc), location=location, hint=_DATE_HINT) from exc
    size = len(text.encode("utf-8", "surrogatepass"))
    if max_text_bytes is not None and size > max_text_bytes:  # an invalid record like others
        raise TextTooLargeError(
            article_id.strip() or default_id, size, max_text_bytes, location=location
        )
    try:
        return Article(
            id=article_id.strip() or default_id,
            title=title[:_MAX_TITLE_CHARS],
            text=text,
            url=url,
            source=_field(record, "source", markup=True) or None,
            published_at=published_at or dateline(text),
            language=_field(record, "language") or None,
        )
    except ValidationError as exc:  # translate at the edge
        raise IngestError(f"invalid record: {exc.errors()[0]['msg']}", location=location) from exc


class _DateError(IngestError):
    """A record whose date cannot be read: with --skip-invalid it is read without its date
    rather than left out (a scraper's "yesterday" had cost the whole article)."""


_DATE_HINT = (
    "give an ISO 8601 date (2007-07-29), an RFC 822 one, one with its month's name "
    "(July 29, 2007) or Unix seconds (milliseconds / 1000), or leave the date out"
)


def _fields_it_has(record: Mapping[str, Any], raw_text: str | None) -> str:
    """The fields of a record with no text field at all ("; its fields are 'webTitle',
    'fields'"), so that an export naming its text otherwise shows what to rename."""
    if raw_text is not None or not record:
        return ""
    names = [repr(str(key)) for key in record]
    return "; its fields are " + first_few(names, named=8)


def _without_date(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without its date fields (in any case)."""
    dates = {alias.lower() for alias in _FIELD_ALIASES["published_at"]}
    return {k: v for k, v in record.items() if not (isinstance(k, str) and k.lower() in dates)}


def dateline(text: str) -> datetime | None:
    """The date a story gives on a line of its own near the top, as midnight UTC.

    Why: Wikinews and many exports carry the date only in the text ("Sunday, July 29,
    2007"); read as the publication date, "announced today" in a summary can become a
    date. A line whose weekday does not fit its date is not trusted.
    """
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()][:_DATE_LINES_READ]
    for line in lines:
        match = _DATE_LINE.match(line)
        if not match:
            continue
        if match["iso"]:
            shape, written = "%Y-%m-%d", match["iso"]
        else:
            month = match["month"] or match["month2"]
            day = match["day"] or match["day2"]
            year = match["year"] or match["year2"]
            number = next(  # "Sept", "Sep" and "September" are all month 9
                (n for n, name in enumerate(_MONTHS, 1) if name.startswith(month.lower())), None
            )
            if number is None or len(month) < 3:
                continue
            shape, written = "%m %d %Y", f"{number} {day} {year}"
        try:
            found = datetime.strptime(written, shape).replace(tzinfo=UTC)
        except ValueError:
            continue  # "Feb 30 2007", "Mayday 5 2007": not a date
        if match["weekday"] and match["weekday"].lower() != f"{found:%A}".lower():
            continue
        if not 1900 <= found.year <= datetime.now(UTC).year + 1:
            continue  # "January 1, 0001": not a publication date
        return found
    return None


def _without_repeated_headline(text: str, title: str) -> str:
    """The text without a first line that only repeats the given title.

    Why: pages and exports often open the body with the headline; left in, it reads
    as the story's first sentence and ends up quoted in summaries.
    """
    first, _, rest = text.lstrip().partition("\n")
    if rest.strip() and plain_words(first) == plain_words(title):
        return rest.strip()
    return text


def first_line(text: str) -> str:
    """The title a text gives itself: its first line, without a Markdown heading's '#'s
    (a whole paragraph, when the text has no line of its own for a title: it is shown
    shortened, `titles.shown_title`, and clustered whole)."""
    line = next((ln for ln in text.split("\n") if ln.strip()), "")
    return _MARKDOWN_HEADING.sub("", line.strip())[:_MAX_TITLE_CHARS]


def _records_from_json(path: Path, raw: str) -> Iterator[tuple[Any, str]]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        stream = _json_stream(raw) if exc.msg == "Extra data" else None
        if stream is None:
            message = f"invalid JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
            yield IngestError(message, location=str(path)), str(path)
            return
        data = stream
    data = _article_list(data)
    if isinstance(data, list):
        for i, item in enumerate(data):
            yield item, f"{path} [item {i}]"
    else:
        yield data, str(path)


def _article_list(data: Any) -> Any:
    """`{"articles": [...]}`'s list; or an export's one list of records under another
    name (`{"data": [...]}`, `{"status": "ok", "results": [...]}`) when the object is no
    article itself: it had been read as one article and refused as having no text."""
    if not isinstance(data, Mapping):
        return data
    if isinstance(data.get("articles"), list):
        return data["articles"]
    if _pick(data, "text") is not None or _pick(data, "title") is not None:
        return data  # an article, whatever lists it holds (its images, its tags)
    lists = [
        value
        for value in data.values()
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value)
    ]
    if len(lists) != 1 or not any(_pick(item, "text") is not None for item in lists[0]):
        return data  # a record and its tags: no list of articles
    prose = any(isinstance(v, str) and len(v.split()) > _WRAPPER_WORDS for v in data.values())
    if prose and not any(_pick(item, "title") is not None for item in lists[0]):
        return data  # a post (its summary) and its untitled comments: the post is the content
    return lists[0]


# an export's wrapper holds short fields ("ok", a cursor) or a notice (its copyright) beside
# titled records; a post holds prose beside untitled comments
_WRAPPER_WORDS = 12


def _json_stream(raw: str) -> list[Any] | None:
    """Records written one after another, each over several lines (`jq '.[]'` prints
    them so); None if it is not such a stream."""
    decoder = json.JSONDecoder()
    records: list[Any] = []
    at = 0
    while True:
        while at < len(raw) and raw[at].isspace():
            at += 1
        if at == len(raw):
            return records if len(records) > 1 else None
        try:
            record, at = decoder.raw_decode(raw, at)
        except json.JSONDecodeError:
            return None
        if not isinstance(record, Mapping):
            return None
        records.append(record)


def _records_from_table(path: Path, raw: str) -> Iterator[tuple[Any, str]]:
    """CSV or TSV rows, the header naming the fields (text, title, url, ...) in any case.
    A CSV may be separated by ";" (Excel in many countries); TSV has no quoting."""
    csv.field_size_limit(2**31 - 1)  # an article's text is longer than csv's 128 KiB
    first = raw.split("\n", 1)[0]
    tsv = path.suffix.lower() == ".tsv"
    delimiter = "\t" if tsv else (";" if first.count(";") > first.count(",") else ",")
    quoting = csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter, quoting=quoting)
    try:
        header = [_FIELD_NAMES.get(name.strip().lower(), name.strip()) for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield IngestError(f"cannot read the table's header: {exc}", location=str(path)), str(path)
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # this row is lost, not the ones after it
            where = f"{path}:{reader.line_num}"
            yield IngestError(f"cannot read this row: {exc}", location=where), where
            continue
        where = f"{path}:{reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if any(cell.strip() for cell in row[len(header) :]):  # not trailing empty cells
            refused = IngestError(
                f"the row has {len(row)} cells, the header {len(header)}",
                location=where,
                hint=f"quote a cell that holds the separator {delimiter!r}",
            )
            yield refused, where
            continue
        record: dict[str, str] = {}
        for name, cell in zip(header, row, strict=False):
            if cell and name not in record:  # a repeated column: its first filled cell
                record[name] = cell
        yield record, where


def _records_from_jsonl(path: Path, lines: list[str | IngestError]) -> Iterator[tuple[Any, str]]:
    for lineno, line in enumerate(lines, start=1):
        if isinstance(line, IngestError):
            yield line, f"{path}:{lineno}"
            continue
        if not line.strip():
            continue
        try:
            record: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            message = f"invalid JSON: {exc.msg} (column {exc.colno})"
            record = IngestError(
                message,
                location=f"{path}:{lineno}",  # as every other record's error names its line
                hint="fix the line, or pass --skip-invalid to leave it out",
            )
        if isinstance(record, list):  # a JSON list on one line: its items are the records
            for i, item in enumerate(record):
                yield item, f"{path}:{lineno} [item {i}]"
            continue
        yield record, f"{path}:{lineno}"


def _decode(data: bytes, location: str) -> str:
    """UTF-8 text (a byte-order mark dropped), UTF-16 with its byte-order mark (Windows
    PowerShell writes files so), or an IngestError naming the line of the first byte that
    is not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"not UTF-16 text after its byte-order mark (byte {exc.start})",
                location=location,
                hint="save it as UTF-8",
            ) from exc
    _refuse_utf16_without_mark(data, location)
    if _looks_binary(data):  # a zip, an image, a PDF: "convert it with iconv" misleads
        raise IngestError(
            "a binary file, not text",
            location=location,
            hint="give the articles as text, JSON, JSONL or CSV",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(
            f"not UTF-8 text (line {line}, byte {exc.start})", location=location, hint=_TO_UTF8
        ) from exc


def _refuse_utf16_without_mark(data: bytes, location: str) -> None:
    """UTF-16 without its byte-order mark (every other byte NUL in Latin text) had been
    "a binary file", or in JSONL a line of invalid JSON per record: say what it is."""
    head = data[:4096]
    if len(head) < 4:
        return
    odd, even = head[1::2], head[0::2]
    for order, zeros, letters in (("le", odd, even), ("be", even, odd)):
        if zeros.count(0) > 0.9 * len(zeros) and letters.count(0) < 0.1 * len(letters):
            raise IngestError(
                "UTF-16 text without its byte-order mark",
                location=location,
                hint=f"convert it to UTF-8, for example with iconv -f utf-16{order} -t utf-8",
            )


def _looks_binary(data: bytes) -> bool:
    """NUL bytes, or many control bytes, near the start: no text encoding writes those."""
    head = data[:4096]
    if not head or b"\x00" in head:
        return bool(head)
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return controls > len(head) // 20


def _lines(text: str) -> list[str | IngestError]:
    """JSONL lines: split on line ends only (\n, \r\n, \r), since str.splitlines also
    breaks at U+2028 inside a JSON string."""
    return list(_LINE_END.split(text))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read: {exc.strerror}", location=str(path)) from exc


def _jsonl_lines(path: Path, data: bytes) -> list[str | IngestError]:
    """A JSONL file's lines (`_lines`); when some are not UTF-8, an IngestError stands in
    place of each such line: one bad byte costs its own record, not the whole file
    (`--skip-invalid` keeps the rest)."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return _lines(_decode(data, str(path)))
        _refuse_utf16_without_mark(data, str(path))
    except IngestError as exc:
        return [exc]
    try:
        return _lines(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    lines: list[str | IngestError] = []
    for lineno, line in enumerate(_LINE_END_BYTES.split(data), start=1):
        try:
            lines.append(line.decode("utf-8-sig" if lineno == 1 else "utf-8"))
        except UnicodeDecodeError:
            error = f"line {lineno} is not UTF-8 text"
            lines.append(IngestError(error, location=f"{path}:{lineno}", hint=_TO_UTF8))
    return lines


STDIN = "-"


_DIGEST_MARKS = (  # the first line or keys this tool writes, not an article's own
    re.compile(rb"^\s*# Digest: \d+ stor(?:y|ies) from \d+ articles?\b"),
    re.compile(rb'^\s*\{\s*"schema_version": "[^"]*",\s*"created_at"'),
)


def is_digest_file(path: Path) -> bool:
    """Whether `path` holds a digest this tool wrote (Markdown or JSON): in a folder that is
    summarized again, the last run's output would come back as articles."""
    try:
        with path.open("rb") as handle:
            head = handle.read(2048)
    except OSError:
        return False
    return any(mark.search(head) for mark in _DIGEST_MARKS)


def _expand(paths: Iterable[str | Path], warnings: list[str] | None = None) -> list[Path]:
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if str(item) == STDIN:
            files.append(path)
            continue
        if not path.exists():
            raise IngestError("no such file or folder", location=str(path))
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not p.name.startswith(".")
                and p.suffix.lower()
                in _JSON_SUFFIXES | _JSONL_SUFFIXES | _TEXT_SUFFIXES | _TABLE_SUFFIXES
            )
            if not found:
                raise IngestError(
                    "folder holds no .json, .jsonl, .csv, .txt or .md files", location=str(path)
                )
            digests = [p for p in found if is_digest_file(p)]
            if len(digests) == len(found):
                raise IngestError(
                    "folder holds only digests this tool wrote, no articles", location=str(path)
                )
            if warnings is not None:
                warnings += [f"skipped {d}: a digest this tool wrote" for d in digests]
            files.extend(p for p in found if p not in digests)
        else:
            files.append(path)
    return _once(files, warnings)


def _once(files: list[Path], warnings: list[str] | None) -> list[Path]:
    """Each file once, in the order given: a file named twice (or also found in a folder
    given) had its articles read twice, each folded into the other as its "copy"."""
    kept: dict[Path, Path] = {}
    for path in files:
        key = path if str(path) == STDIN else path.resolve()
        if key not in kept:
            kept[key] = path
        elif warnings is not None:
            warnings.append(f"skipped {path}: given more than once; read once")
    return list(kept.values())


def _is_json(stripped: str) -> bool:
    """Text (without leading space) that is meant as JSON.

    Why: a pasted story may open with a bracket ("[Breaking] Storm hits ...") and must be
    read as text, while broken JSON ('[{"text": ...') must still get its precise error.
    So text that opens the way JSON does ('{"', '[{', '["', '[]') is JSON, and any other
    text in brackets ("[12:30 GMT] ...", "[1, 2]") is JSON only if it parses.
    """
    if _JSON_OPENING.match(stripped):
        return True
    if not stripped.startswith(("{", "[")):
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def records_from_string(
    raw: str, name: str, *, text_id: str | None = None
) -> Iterator[tuple[Any, str]]:
    """Records from text whose format is sniffed: a JSON document, JSONL, or one plain
    article (its id `text_id`, else `name`)."""
    raw = raw.removeprefix("\ufeff")  # a byte-order mark is no part of the text
    stripped = raw.lstrip()
    if _is_json(stripped):
        lines = stripped.strip().split("\n")
        first = lines[0].rstrip()
        is_jsonl = len(lines) > 1 and (
            (first.startswith("{") and first.endswith("}"))
            or (first.startswith("[") and first.endswith("]"))  # a list on each line
        )
        if is_jsonl:
            yield from _records_from_jsonl(Path(name), _lines(raw))
        else:
            yield from _records_from_json(Path(name), raw)
    else:
        yield {"id": text_id or name, "text": raw}, name


def _records_from_file(path: Path) -> Iterator[tuple[Any, str]]:
    if str(path) == STDIN:
        try:
            pasted = _read_stdin()
        except IngestError as exc:
            yield exc, "stdin"
            return
        if not pasted.strip():
            empty = IngestError(
                "standard input is empty",
                location="stdin",
                hint="pipe a file into it (digest summarize - < articles.jsonl), or paste an "
                "article and end it with Ctrl-D",
            )
            yield empty, "stdin"
            return
        yield from records_from_string(pasted, "stdin")
        return
    suffix = path.suffix.lower()
    if suffix in _NOT_TEXT_SUFFIXES:
        refused = IngestError(
            f"a {suffix} file is not read",
            location=str(path),
            hint="save the articles as text, JSON, JSONL or CSV (one article a record, with "
            "its 'text')",
        )
        yield refused, str(path)
        return
    try:
        data = _read_bytes(path)
        if suffix in _JSONL_SUFFIXES:
            yield from _records_from_jsonl_file(path, data)
            return
        raw = _decode(data, str(path))
    except IngestError as exc:
        yield exc, str(path)
        return
    if not raw.strip():
        yield _EmptyFile(), str(path)
    elif suffix in _JSON_SUFFIXES:
        yield from _records_from_json(path, raw)
    elif suffix in _TABLE_SUFFIXES:
        yield from _records_from_table(path, raw)
    elif not suffix or not path.is_file():
        # a pipe (`<(jq -c '.[]' export.json)`), /dev/stdin or a name without a suffix:
        # told apart by content as standard input is; JSONL had been one article of JSON
        yield from records_from_string(raw, str(path), text_id=path.stem)
    else:
        yield {"id": path.stem, "text": raw}, str(path)


def _records_from_jsonl_file(path: Path, data: bytes) -> Iterator[tuple[Any, str]]:
    """A JSONL file's records; one that holds a single JSON document over several lines
    (a pretty-printed list saved as .jsonl) is read as that document, not refused line by
    line."""
    lines = _jsonl_lines(path, data)
    filled = [line for line in lines if not isinstance(line, str) or line.strip()]
    if not filled:
        yield _EmptyFile(), str(path)
        return
    document = _one_document(lines)
    if document is not None:
        yield from _records_from_json(path, document)
        return
    yield from _records_from_jsonl(path, lines)


def _one_document(lines: list[str | IngestError]) -> str | None:
    """The lines joined when the first is no JSON of its own but all of them are one JSON
    document (or a `jq` stream of them); None otherwise."""
    first = next((ln for ln in lines if not isinstance(ln, str) or ln.strip()), None)
    if not isinstance(first, str) or not first.lstrip().startswith(("{", "[")):
        return None
    if any(isinstance(line, IngestError) for line in lines):
        return None
    try:
        json.loads(first)
        return None
    except ValueError:
        pass
    whole = "\n".join(line for line in lines if isinstance(line, str))
    try:
        json.loads(whole)
    except ValueError:
        return whole if _json_stream(whole) is not None else None
    return whole


def _read_stdin() -> str:
    """Standard input as UTF-8 text, checked like a file's: the bytes, not Python's
    locale-dependent reading (which lets a stray Latin-1 byte through as a surrogate)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # replaced by a text stream (tests, embedding applications)
        return sys.stdin.read()
    return _decode(stream.read(), "stdin")


def _given_id(record: Any) -> str | None:
    """The id a record gives itself, as `record_to_article` reads it; None without one."""
    if not isinstance(record, Mapping):
        return None
    given = _field(record, "id").strip()  # as `record_to_article` reads it
    return given or None


# Cleaning takes out page furniture and markup, rarely three quarters of a text: one over
# four times the limit is refused before it is cleaned, as it would be after.
UNCLEANED_LIMIT_FACTOR = 4


def _refuse_far_too_large(
    raw_text: str, limit: int, record: Mapping[str, Any], default_id: str, location: str
) -> None:
    """Raise TextTooLargeError for a text over `UNCLEANED_LIMIT_FACTOR` times `limit`
    (characters count at most as many UTF-8 bytes, so the character count is checked
    first)."""
    if len(raw_text) <= UNCLEANED_LIMIT_FACTOR * limit:
        return
    size = len(raw_text.encode("utf-8", "surrogatepass"))
    article_id = _given_id(record) or default_id
    raise TextTooLargeError(article_id, size, limit, location=location)


def load_records(
    records: Iterable[tuple[Any, str]],
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    max_text_bytes: int | None = None,
) -> IngestResult:
    """Turn (record, location) pairs into Articles with unique ids.

    A record that could not even be read (a line that is not JSON, a file that is not
    UTF-8) comes as its IngestError, so that it is skipped like any invalid record and
    the records after it are still read. A record without an id gets `a<n>` (its place),
    or, when the input gives some record that id, the first free `a<n>.<k>`: the input's
    own ids are kept, and it is not warned about a clash it did not make. `progress` hears
    ("read", done, total) as records are read: 50 MB took half a minute without a line.
    `max_text_bytes` (DIGEST_MAX_ARTICLE_BYTES) refuses a text far over it before cleaning
    (`record_to_article`).
    """
    result = IngestResult()
    seen: dict[str, int] = {}
    invalid: list[IngestError] = []  # without skip_invalid: all of them said at once
    records = list(records)
    given = {_given_id(record) for record, _ in records} - {None}
    tick = _ticker(progress, len(records))
    for index, (record, location) in enumerate(records):
        tick(index)
        default_id = f"a{index + 1}"
        suffix = 1
        while default_id in given or default_id in seen:
            suffix += 1
            default_id = f"a{index + 1}.{suffix}"
        try:
            article = _read_one(
                record, default_id, location, skip_invalid, result.warnings, max_text_bytes
            )
        except IngestError as exc:
            if not skip_invalid:
                invalid.append(exc)
            else:
                result.warnings.append(f"skipped {exc.message}")
            continue
        if article is None:
            continue
        if article.id in seen:
            new_id = article.id
            while new_id in seen or new_id in given:  # "x#2" may be another record's own id
                seen[article.id] += 1
                new_id = f"{article.id}#{seen[article.id]}"
            seen[new_id] = 1
            result.warnings.append(f"{location}: id {article.id!r} repeated; renamed {new_id!r}")
            article = article.model_copy(update={"id": new_id})
        else:
            seen[article.id] = 1
        result.articles.append(article)
        result.locations[article.id] = location
    tick(len(records))
    if invalid:
        raise _all_of(invalid)
    return result


Progress = Callable[[str, int, int], None]
_PROGRESS_STEPS = 100  # reports while records are read, at most


def _ticker(progress: Progress | None, total: int) -> Callable[[int], None]:
    """A callable that reports ("read", done, total) every hundredth of the records."""
    step = max(1, -(-total // _PROGRESS_STEPS))  # rounded up

    def tick(done: int) -> None:
        if progress is not None and (done % step == 0 or done == total):
            progress("read", done, total)

    return tick


def _read_one(
    record: Any,
    default_id: str,
    location: str,
    skip_invalid: bool,
    warnings: list[str],
    max_text_bytes: int | None = None,
) -> Article | None:
    """One record's Article; None for an empty file (warned). With `skip_invalid`, a
    record whose date cannot be read is kept without it, warned: the date only places
    the story in time, and the article's text is what the digest is made of."""
    if isinstance(record, _EmptyFile):
        warnings.append(f"{location}: the file is empty; nothing was read from it")
        return None
    if isinstance(record, IngestError):
        raise record
    limit = max_text_bytes
    try:
        return record_to_article(
            record, default_id=default_id, location=location, max_text_bytes=limit
        )
    except _DateError as exc:
        if not skip_invalid:
            raise
        article = record_to_article(
            _without_date(record), default_id=default_id, location=location, max_text_bytes=limit
        )
        warnings.append(f"{exc.message}; read without a date")
        return article


@dataclass(frozen=True)
class _EmptyFile:
    """Stands in the records for a file with nothing in it: warned about, not an invalid
    record (one empty export in a batch is no reason to stop), and named when nothing at
    all was read."""


_INVALID_NAMED = 5  # more invalid records than this are counted, not named


def first_few(items: list[str], *, named: int = _INVALID_NAMED, sep: str = ", ") -> str:
    """The first `named` items joined, then "and N more": errors that list every bad
    record stay readable when a batch has thousands."""
    more = len(items) - named
    return sep.join(items[:named]) + (f" and {more} more" if more > 0 else "")


def _all_of(invalid: list[IngestError]) -> IngestError:
    """The first invalid record's error, naming the others too: a batch with several bad
    lines had needed one run per line to find them all."""
    first = invalid[0]
    if len(invalid) == 1:
        return first
    listed = first_few([e.location or e.message for e in invalid[1:]])
    error = IngestError(
        f"{first.message}; {len(invalid) - 1} more invalid record(s): {listed}",
        # the first one's hint only when it fits them all ("give every article its text"
        # had been the hint for a batch whose other records had bad dates)
        hint=(first.hint if all(e.hint == first.hint for e in invalid) else None)
        or "fix them, or pass --skip-invalid to leave them out",
    )
    error.location = first.location
    return error


def load_paths(
    paths: Iterable[str | Path],
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    max_text_bytes: int | None = None,
) -> IngestResult:
    """Read files and folders into Articles; raise IngestError or EmptyInputError. A
    folder's files that are digests this tool wrote are left out, with a warning, and so
    is a file given twice (its articles had come back as copies of themselves)."""
    skipped: list[str] = []
    files = _expand(paths, skipped)

    def records() -> Iterator[tuple[Any, str]]:
        for path in files:
            yield from _records_from_file(path)

    result = load_records(
        records(), skip_invalid=skip_invalid, progress=progress, max_text_bytes=max_text_bytes
    )
    result.warnings[:0] = skipped
    if not result.articles:
        raise EmptyInputError(
            "no articles with text found in " + ", ".join(str(f) for f in files),
            hint=_why_nothing(result.warnings),
        )
    return result


def _json_kind(value: Any) -> str:
    """A value's kind as JSON names it ("null", not Python's "NoneType")."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true/false"
    kinds = {str: "a string", int: "a number", float: "a number", list: "a list"}
    return kinds.get(type(value), type(value).__name__)


def _why_nothing(warnings: list[str]) -> str | None:
    """Why no article was read, from the warnings: skipped records, empty files."""
    if not warnings:  # `[]`, `{"articles": []}`
        return "the inputs hold no records; give articles as objects with a 'text' field"
    reasons = first_few([w.removeprefix("skipped ") for w in warnings], sep="; ")
    if any(w.startswith("skipped ") for w in warnings):
        return f"every record was skipped: {reasons}"
    return f"{reasons}; give a file that holds articles"


def oversized(articles: Iterable[Article], limit: int) -> Iterator[tuple[int, Article, int]]:
    """(position, article, bytes) of each article whose text is over `limit` UTF-8 bytes:
    the API and the CLI refuse the same articles (DIGEST_MAX_ARTICLE_BYTES)."""
    for position, article in enumerate(articles):
        size = len(article.text.encode("utf-8"))
        if size > limit:
            yield position, article, size


def load_text(text: str, *, name: str = "pasted") -> Article:
    """One pasted article (first line is the title)."""
    return record_to_article({"id": name, "text": text}, default_id=name, location=name)
