import json
from pathlib import Path

import pytest

from service.errors import EmptyInputError, IngestError
from service.pipeline.ingest import load_paths, load_records, load_text, record_to_article


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_with_aliases_and_unknown_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "a.jsonl",
        "\n".join(
            [
                json.dumps(
                    {"id": "1", "headline": "H1", "body": "Body one is here.", "extra": [1, 2]}
                ),
                "",
                json.dumps(
                    {
                        "doc_id": "2",
                        "title": "H2",
                        "content": "Body two.",
                        "link": "https://x.org/2",
                        "publisher": "X News",
                        "date": "2024-05-01T10:00:00Z",
                    }
                ),
            ]
        ),
    )
    articles = load_paths([path]).articles
    assert [a.id for a in articles] == ["1", "2"]
    assert articles[0].title == "H1" and articles[0].text == "Body one is here."
    assert articles[1].url == "https://x.org/2" and articles[1].source == "X News"
    assert articles[1].published_at is not None and articles[1].published_at.year == 2024


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", '{"text": "ok"}\n{"text": oops}\n')
    with pytest.raises(IngestError, match=r"bad\.jsonl:2: invalid JSON") as bad:
        load_paths([path])
    assert "--skip-invalid" in bad.value.user_message


def test_every_invalid_record_is_named_in_one_error(tmp_path: Path) -> None:
    """A batch with several bad lines had needed one run per line to find them all."""
    lines = [json.dumps({"text": "Fine story text."}), "{oops", '{"text": ""}', "[1, 2", "{x"]
    path = _write(tmp_path / "many.jsonl", "\n".join(lines * 3))
    with pytest.raises(IngestError) as bad:
        load_paths([path])
    message = bad.value.message
    assert message.startswith(f"{path}:2: invalid JSON")
    assert "11 more invalid record(s)" in message
    assert f"{path}:3, {path}:4, {path}:5, {path}:7" in message and "and 6 more" in message


def test_json_list_and_articles_object(tmp_path: Path) -> None:
    one = _write(tmp_path / "list.json", json.dumps([{"text": "First."}, {"text": "Second."}]))
    two = _write(tmp_path / "obj.json", json.dumps({"articles": [{"text": "Third."}]}))
    assert len(load_paths([one, two]).articles) == 3


def test_empty_article_is_an_error_naming_where(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "e.jsonl", '{"id": "x", "text": "Fine text."}\n{"id": "y", "text": "  "}\n'
    )
    with pytest.raises(IngestError, match=r"e\.jsonl:2: empty article"):
        load_paths([path])
    result = load_paths([path], skip_invalid=True)
    assert [a.id for a in result.articles] == ["x"]
    assert any("empty article" in w for w in result.warnings)


def test_missing_file_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        load_paths([tmp_path / "nope.jsonl"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="holds no"):
        load_paths([tmp_path / "empty"])


def test_folder_of_text_files(tmp_path: Path) -> None:
    _write(tmp_path / "one.txt", "Title one\n\nStory one happened today.")
    _write(tmp_path / "two.md", "Title two\n\nStory two happened today.")
    articles = load_paths([tmp_path]).articles
    assert [(a.id, a.title) for a in articles] == [("one", "Title one"), ("two", "Title two")]


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Caf\xe9 opens.".encode("latin-1"))
    with pytest.raises(IngestError, match="not UTF-8"):
        load_paths([path])


def test_only_invalid_records_is_empty_input(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.jsonl", '{"text": ""}\n')
    with pytest.raises(EmptyInputError):
        load_paths([path], skip_invalid=True)


def test_repeated_ids_are_made_unique() -> None:
    result = load_records([({"id": "x", "text": "A."}, "l1"), ({"id": "x", "text": "B."}, "l2")])
    assert [a.id for a in result.articles] == ["x", "x#2"]
    assert result.warnings
    # a renamed id never takes one the input gives: two articles shared "x#2", and a
    # story got another story's summary
    given = [({"id": "x", "text": "A."}, "l1"), ({"id": "x", "text": "B."}, "l2")]
    result = load_records([*given, ({"id": "x#2", "text": "C."}, "l3")])
    assert [a.id for a in result.articles] == ["x", "x#3", "x#2"]
    assert result.locations == {"x": "l1", "x#3": "l2", "x#2": "l3"}
    result = load_records([({"id": "x#2", "text": "C."}, "l3"), *given, *given])
    assert [a.id for a in result.articles] == ["x#2", "x", "x#3", "x#4", "x#5"]


def test_non_object_record() -> None:
    with pytest.raises(IngestError, match="expected an object"):
        load_records([("just a string", "f.json [item 0]")])


def test_pasted_text() -> None:
    article = load_text("Headline here\nBody of the story.")
    assert article.title == "Headline here"


def test_records_from_string_sniffs_the_format() -> None:
    from service.pipeline.ingest import records_from_string

    jsonl = '{"id": "1", "text": "One."}\n{"id": "2", "text": "Two."}\n'
    assert [loc for _, loc in records_from_string(jsonl, "stdin")] == ["stdin:1", "stdin:2"]
    doc = '[{"text": "One."}, {"text": "Two."}]'
    assert len(list(records_from_string(doc, "stdin"))) == 2
    assert list(records_from_string("Title\nBody.", "stdin")) == [
        ({"id": "stdin", "text": "Title\nBody."}, "stdin")
    ]


def test_numeric_dates_are_utc_timestamps_and_absurd_ones_are_named(tmp_path) -> None:
    path = tmp_path / "dated.jsonl"
    path.write_text(
        '{"id": "a", "text": "Dock workers went on strike on Monday at the port.", "date": 0}\n'
        '{"id": "b", "text": "Dock workers went on strike on Monday at the port.", "date": 1e300}\n'
    )
    with pytest.raises(IngestError, match=r"dated.jsonl:2.*1e\+300.*not a Unix timestamp"):
        load_paths([path])
    kept = load_paths([path], skip_invalid=True)  # the article stays, without its date
    assert [a.id for a in kept.articles] == ["a", "b"]
    assert kept.articles[0].published_at.isoformat() == "1970-01-01T00:00:00+00:00"
    assert kept.articles[1].published_at is None
    assert any("dated.jsonl:2" in w and "read without a date" in w for w in kept.warnings)


def test_a_date_that_cannot_be_read_is_named_not_dropped() -> None:
    text = "Dock workers went on strike on Monday at the port."
    rss = record_to_article(
        {"text": text, "date": "Tue, 10 Jun 2003 04:00:00 GMT"}, default_id="a", location="x:1"
    )
    assert rss.published_at is not None and rss.published_at.year == 2003
    with pytest.raises(IngestError, match=r"x:2.*date 'yesterday' is not a date") as refused:
        record_to_article({"text": text, "date": "yesterday"}, default_id="b", location="x:2")
    assert "leave the date out" in (refused.value.hint or "")


def test_a_body_that_opens_with_its_given_headline_loses_that_line() -> None:
    title = "Tsunami aid donations in 2005 deductible for 2004 in the U.S."
    body = "U.S. citizens donating in 2005 can deduct the gifts on their 2004 returns."
    article = record_to_article(
        {"id": "t", "title": title, "text": f"{title}\n\n{body}"}, default_id="t", location="t"
    )
    assert article.text == body and article.title == title
    # no title given: the first line is the title *and* stays in the text (it may be the lead)
    untitled = record_to_article(
        {"id": "u", "text": f"{body}\nA second line."}, default_id="u", location="u"
    )
    assert untitled.title == body and untitled.text.startswith(body)
    # a body that is nothing but its headline keeps it
    only = record_to_article(
        {"id": "o", "title": title, "text": title}, default_id="o", location="o"
    )
    assert only.text == title


def test_skip_invalid_skips_a_line_that_is_not_json_and_reads_the_rest(tmp_path: Path) -> None:
    good = [json.dumps({"id": i, "text": f"Story {i} happened today."}) for i in "abc"]
    path = _write(tmp_path / "onebad.jsonl", "\n".join([good[0], good[1], "{oops", good[2]]))
    with pytest.raises(IngestError, match=r"onebad\.jsonl:3: invalid JSON"):
        load_paths([path])
    result = load_paths([path], skip_invalid=True)
    assert [a.id for a in result.articles] == ["a", "b", "c"]
    assert result.warnings == [
        f"skipped {path}:3: invalid JSON: Expecting property name enclosed in "
        "double quotes (column 2)"
    ]


def test_skip_invalid_skips_files_that_cannot_be_read(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", "Title one\n\nStory one happened today.")
    (tmp_path / "b.txt").write_bytes("Caf\xe9 opens.".encode("latin-1"))
    _write(tmp_path / "c.json", '[{"text": "no end"')
    _write(tmp_path / "d.md", "Title two\n\nStory two happened today.")
    with pytest.raises(IngestError, match=r"b\.txt: not UTF-8"):
        load_paths([tmp_path])
    result = load_paths([tmp_path], skip_invalid=True)
    assert [a.id for a in result.articles] == ["a", "d"]
    assert len(result.warnings) == 2
    assert "b.txt: not UTF-8 text (line 1, byte 3)" in result.warnings[0]
    assert "c.json: invalid JSON on line 1" in result.warnings[1]


def test_pasted_text_opening_with_a_bracket_is_text_but_broken_json_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from service.pipeline.ingest import records_from_string

    text = "[Breaking] Storm hits the coast\nA powerful storm reached the coast on Monday."
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    (article,) = load_paths(["-"]).articles
    assert article.title == "[Breaking] Storm hits the coast" and article.text == text
    for plain in ["{Update} Roads reopen\nThe roads reopened.", "[ Live ] Vote count\nIt went on."]:
        assert list(records_from_string(plain, "stdin")) == [
            ({"id": "stdin", "text": plain}, "stdin")
        ]
    assert [r for r, _ in records_from_string("[]", "stdin")] == []
    # a time, a year or a number in brackets opens a story, not a JSON list
    for plain in ["[12:30 GMT] Storm hits\nThe storm hit.", "[2024] The year\nIt was long."]:
        assert list(records_from_string(plain, "stdin")) == [
            ({"id": "stdin", "text": plain}, "stdin")
        ]
    with pytest.raises(IngestError, match="expected an object"):  # parses: JSON, no articles
        load_records(records_from_string("[1, 2]", "stdin"))
    for broken, where in [
        ('[{"text": "One."}, {"text": "Two."', "line 1, column 35"),
        ('{"text": "One.",\n "title": oops}', "line 2, column 11"),
        ("{'text': 'One.'}", "line 1, column 2"),
    ]:
        with pytest.raises(IngestError, match=f"stdin: invalid JSON on {where}"):
            load_records(records_from_string(broken, "stdin"))


def test_when_every_record_is_skipped_the_error_says_why(tmp_path: Path) -> None:
    path = tmp_path / "wrong.jsonl"
    path.write_text('{"foo": "x"}\n{"bar": "y"}\n')
    with pytest.raises(EmptyInputError) as info:
        load_paths([path], skip_invalid=True)
    message = info.value.user_message
    assert "every record was skipped" in message
    assert f"{path}:1: empty article" in message and f"{path}:2: empty article" in message


def test_a_markdown_heading_is_a_title_without_its_hashes(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text(
        "## The port reopens\n\nThe port of Valmora reopened on Tuesday after a strike.\n"
    )
    [article] = load_paths([note]).articles
    assert article.title == "The port reopens"


@pytest.mark.parametrize(
    ("opening", "day"),
    [
        ("Sunday, July 29, 2007", "2007-07-29"),  # Wikinews
        ("29 July 2007", "2007-07-29"),
        ("Sept. 3, 2010", "2010-09-03"),
        ("2010-09-03", "2010-09-03"),
        ("Monday, July 29, 2007", None),  # the weekday does not fit: not trusted
        ("Junk 3, 2010", None),
        ("February 30, 2007", None),
        ("January 1, 0001", None),  # no publication date
        ("Talks began on July 29, 2007", None),  # a sentence, not a date line
    ],
)
def test_a_date_line_at_the_top_is_the_publication_date_when_none_is_given(
    opening: str, day: str | None
) -> None:
    text = f"Tour ends in Paris\n\n{opening}\n\nAlberto Contador of Spain has won the Tour."
    article = record_to_article({"text": text}, default_id="a", location="x:1")
    found = article.published_at
    assert (found.date().isoformat() if found else None) == day
    if found:
        assert found.utcoffset() is not None  # aware, like every other date we read


def test_a_given_date_wins_over_the_date_line_and_a_date_deep_in_the_text_is_not_read() -> None:
    text = "Sunday, July 29, 2007\n\nAlberto Contador of Spain has won the Tour."
    given = record_to_article(
        {"text": text, "published_at": "2007-07-30T08:00:00Z"}, default_id="a", location="x:1"
    )
    assert given.published_at is not None and given.published_at.day == 30
    deep = "Headline\nBy A. Writer\nA line.\nAnother line.\nSunday, July 29, 2007\nBody."
    assert record_to_article({"text": deep}, default_id="b", location="x:2").published_at is None


def _stdin_bytes(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_standard_input_is_checked_as_utf_8_like_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's own reading of stdin let a Latin-1 byte through (and the embedder crashed
    on it); a byte-order mark turned a JSON array into one article headed '\ufeff[{...'."""
    _stdin_bytes(monkeypatch, b"Caf\xe9 headline\nCaf\xe9 story text.\n")
    with pytest.raises(IngestError, match=r"stdin: not UTF-8 text \(line 1, byte 3\)"):
        load_paths(["-"])
    records = [{"id": "a", "title": "One", "text": "First story."}, {"id": "b", "text": "Two."}]
    _stdin_bytes(monkeypatch, b"\xef\xbb\xbf" + json.dumps(records).encode())
    assert [a.id for a in load_paths(["-"]).articles] == ["a", "b"]
    _stdin_bytes(monkeypatch, b"  \n")
    with pytest.raises(IngestError, match="standard input is empty"):
        load_paths(["-"])


def test_a_jsonl_line_that_is_not_utf_8_costs_only_that_record(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = [json.dumps({"id": k, "text": f"Story {k} text."}).encode() for k in ("a", "c")]
    path.write_bytes(good[0] + b'\n{"id": "b", "text": "Caf\xe9."}\n' + good[1] + b"\n")
    result = load_paths([path], skip_invalid=True)
    assert [a.id for a in result.articles] == ["a", "c"]
    assert result.warnings and "mixed.jsonl:2" in result.warnings[0]
    with pytest.raises(IngestError, match=r"mixed.jsonl:2: line 2 is not UTF-8 text"):
        load_paths([path])
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"Title\nfirst line\nCaf\xe9 au lait.\n")
    with pytest.raises(IngestError, match=r"not UTF-8 text \(line 3, byte 20\)"):
        load_paths([latin])


def test_unix_seconds_written_as_a_string_and_titles_on_one_line() -> None:
    record = {"text": "Body.", "title": "Council passes budget\n## Injected", "date": "1243850000"}
    article = record_to_article(record, default_id="x", location="x")
    assert article.published_at is not None and article.published_at.year == 2009
    assert article.title == "Council passes budget ## Injected"
    dated = record_to_article({"text": "Body.", "date": "20240101"}, default_id="y", location="y")
    assert dated.published_at is not None and dated.published_at.month == 1  # a basic ISO date


def test_a_record_without_an_id_never_takes_one_the_input_gives() -> None:
    """The default "a2" clashed with a client's own "a2": the client was warned about a
    repeat it had not made, and its second "a2" was renamed."""
    records = [
        ({"id": "a2", "text": "One two."}, "x"),
        ({"text": "Three four."}, "y"),
        ({"id": "a2", "text": "Five six."}, "z"),
        ({"text": "Seven."}, "w"),
    ]
    result = load_records(records)
    assert [a.id for a in result.articles] == ["a2", "a2.2", "a2#2", "a4"]
    assert result.warnings == ["z: id 'a2' repeated; renamed 'a2#2'"]  # the client's own repeat


def test_a_line_separator_inside_a_jsonl_string_is_no_line_break(tmp_path: Path) -> None:
    path = tmp_path / "sep.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": "One\u2028two."}, ensure_ascii=False)
        + "\r\n"
        + json.dumps({"id": "b", "text": "Three."})
        + "\n",
        encoding="utf-8",
    )
    assert [a.id for a in load_paths([path]).articles] == ["a", "b"]
    old_mac = tmp_path / "cr.jsonl"
    old_mac.write_text('{"id": "x", "text": "One."}\r{"id": "y", "text": "Two."}\r', newline="")
    assert [a.id for a in load_paths([old_mac]).articles] == ["x", "y"]
    old_mac.write_bytes(
        b'{"id": "x", "text": "One."}\r{"text": "Caf\xe9."}\r{"id": "z", "text": "3."}'
    )
    assert [a.id for a in load_paths([old_mac], skip_invalid=True).articles] == ["x", "z"]


def test_short_fields_lose_their_markup_and_control_characters() -> None:
    """A NUL cannot be stored in PostgreSQL; a BEL in a title reached the heading."""
    record = {
        "id": "a\x00b",
        "title": "<b>Storm</b> closes ports &amp; roads\x07",
        "source": "Daily\x00 <i>Post</i>",
        "url": "https://example.com/x\x00",
        "text": "<p>The storm closed three ports on Tuesday.</p>",
    }
    article = record_to_article(record, default_id="x", location="x")
    assert article.id == "ab"
    assert article.title == "Storm closes ports & roads"
    assert article.source == "Daily Post"
    assert article.url == "https://example.com/x"
    assert article.text == "The storm closed three ports on Tuesday."


def test_a_csv_or_tsv_file_is_read_a_row_an_article(tmp_path: Path) -> None:
    """A spreadsheet export had been read as one article mixing every row."""
    table = _write(
        tmp_path / "news.csv",
        'id,title,text,source\n1,Strike,"Dock workers walked out, the union said.",Wire\n'
        "2,Comet,Astronomers found a new comet on Friday.,Sky News\n",
    )
    tabbed = _write(tmp_path / "more.tsv", "headline\tbody\nFerry\tThe ferry resumed service.\n")
    loaded = load_paths([table, tabbed]).articles
    assert [(a.id, a.title, a.source) for a in loaded] == [
        ("1", "Strike", "Wire"),
        ("2", "Comet", "Sky News"),
        ("a3", "Ferry", None),
    ]
    assert loaded[0].text == "Dock workers walked out, the union said."
    assert [a.id for a in load_paths([tmp_path]).articles] == ["a1", "1", "2"]  # folders too


def test_office_pdf_and_archive_files_are_refused_with_what_to_do(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 \x00\x01binary")
    with pytest.raises(IngestError, match=r"a \.pdf file is not read") as refused:
        load_paths([pdf])
    assert "JSON, JSONL or CSV" in (refused.value.hint or "")


def test_utf16_with_its_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows PowerShell writes UTF-16; the error had said to convert from Latin-1."""
    record = {"text": "Café owners in Zürich reopened on Monday.", "title": "Zürich"}
    for name in ("a.json", "b.jsonl"):
        path = tmp_path / name
        path.write_bytes(json.dumps(record, ensure_ascii=False).encode("utf-16"))
        [article] = load_paths([path]).articles
        assert article.text == record["text"]


def test_a_stream_of_records_and_a_list_on_a_jsonl_line_are_read(tmp_path: Path) -> None:
    """`jq '.[]'` prints records one after another over several lines each."""
    stream = "\n".join(json.dumps({"text": f"Story {k} happened."}, indent=2) for k in range(3))
    assert [a.text for a in load_paths([_write(tmp_path / "s.json", stream)]).articles] == [
        "Story 0 happened.",
        "Story 1 happened.",
        "Story 2 happened.",
    ]
    listed = json.dumps([{"text": "One happened."}, {"text": "Two happened."}])
    loaded = load_paths([_write(tmp_path / "l.jsonl", listed)]).articles
    assert [a.text for a in loaded] == ["One happened.", "Two happened."]


def test_dates_with_a_month_name_are_read_and_ambiguous_or_boolean_ones_refused() -> None:
    def date(value: object) -> object:
        record = {"text": "Dock workers went on strike.", "date": value}
        return record_to_article(record, default_id="a", location="x").published_at

    for written in ("July 29, 2007", "29 July 2007", "Sunday, Jul 29, 2007 10:00", "2007/07/29"):
        moment = date(written)
        assert moment is not None and (moment.year, moment.month, moment.day) == (2007, 7, 29)
        assert moment.tzinfo is not None  # every date carries its zone (UTC when none given)
    evening = date("Sep 5, 2023 2:00 PM EST")  # email's parser had read 02:00, zone dropped
    assert evening is not None and evening.isoformat() == "2023-09-05T14:00:00-05:00"
    summer = date("5 Sept 2023 14:00 BST")
    assert summer is not None and summer.isoformat() == "2023-09-05T14:00:00+01:00"
    # US news's "ET" is New York's zone: EDT in summer, EST in winter
    for written, iso in (
        ("Sep 5, 2023 2:00 PM ET", "2023-09-05T14:00:00-04:00"),
        ("Jan 5, 2023 2:00 PM ET", "2023-01-05T14:00:00-05:00"),
        ("July 4, 2024 9:30 AM PT", "2024-07-04T09:30:00-07:00"),
    ):
        moment = date(written)
        assert moment is not None and moment.isoformat() == iso
    # refused: ambiguous, not a date, or with a part not written ("July 2007" had become
    # July 24, the day of the run) or a zone it does not know (hours off)
    for refused in (True, "yesterday", "July 2007", "July 29", "July 29, 2007 CEST"):
        with pytest.raises(IngestError, match="is not a date"):
            date(refused)
    # each says how to write one; an all-number date with the year last, why it is refused
    with pytest.raises(IngestError, match="write it as ISO 8601 .'2007-07-08'"):
        date("July 29")
    with pytest.raises(IngestError, match="'07/08/2007' is ambiguous .* write it year first"):
        date("07/08/2007")


def test_a_url_that_is_a_script_is_refused() -> None:
    """A digest links each source: 'javascript:alert(1)' would be a script link there."""
    for bad in (
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        " JavaScript:void(0)",
        "java\tscript:alert(1)",  # a browser drops tabs and line breaks: a script link still
        "java\nscript:alert(1)",
    ):
        with pytest.raises(IngestError, match="is a script, not an address"):
            record_to_article(
                {"text": "Dock workers went on strike.", "url": bad}, default_id="a", location="x"
            )
    for fine in (
        "https://example.com/a",
        "HTTP://example.com/b",
        "example.com/c",
        "file:///a.html",
    ):
        article = record_to_article(
            {"text": "Dock workers went on strike.", "url": fine}, default_id="a", location="x"
        )
        assert article.url == fine


def test_a_field_of_the_wrong_type_is_named_as_the_api_names_it() -> None:
    """The CLI had read `"text": 12345` as the text "12345" and dropped bad list items."""
    for record, field in (
        ({"text": 12345}, "text"),
        ({"text": "Body.", "title": 42}, "title"),
        ({"text": ["para", 5, None]}, "text"),
        ({"text": "Body.", "source": ["BBC", 5]}, "source"),
        ({"text": "Body.", "url": True}, "url"),
        ({"text": "Body.", "source": {"name": 5}}, "source"),  # had read "5"
        ({"text": "Body.", "source": {"name": ["BBC"]}}, "source"),  # had read "['BBC']"
        ({"text": "Body.", "source": {"name": 0}}, "source"),  # had read no source
        ({"text": "Body.", "source": {"name": False}}, "source"),
    ):
        with pytest.raises(IngestError, match=f"'{field}' should be text"):
            record_to_article(record, default_id="a", location="x")
    newsapi = {
        "source": {"id": "bbc-news", "name": "BBC News"},
        "title": "Storm",
        "content": "A storm closed three ports on Tuesday.",
        "publishedAt": "2024-03-05T10:00:00Z",
    }
    article = record_to_article(newsapi, default_id="a", location="x")
    assert article.source == "BBC News" and article.published_at is not None
    authors = {"text": "Body.", "author": ["Ann Lee", "Bo Chan"]}  # JSON-LD's list of authors
    assert record_to_article(authors, default_id="b", location="x").source == "Ann Lee & Bo Chan"
    # "According to AP, AFP, ..." had read as an outlet and the claim's first word
    three = {"text": "Body.", "source": ["AP", "AFP", "Reuters"]}
    assert record_to_article(three, default_id="c", location="x").source == "AP, AFP & Reuters"
    hidden = {"text": "Body.", "source": "Outlet B\u200b"}  # a zero-width space: no other outlet
    assert record_to_article(hidden, default_id="d", location="x").source == "Outlet B"


def test_tables_in_excel_shapes_and_bad_rows_cost_only_themselves(tmp_path: Path) -> None:
    excel = _write(
        tmp_path / "excel.csv",
        'Title;TEXT;URL\nStrike;"Dock workers walked out; ships waited.";https://a.example/1\n',
    )
    [article] = load_paths([excel]).articles
    assert (article.title, article.text) == ("Strike", "Dock workers walked out; ships waited.")
    assert article.url == "https://a.example/1"
    long_text = "The port stayed shut all week. " * 5000  # over csv's 128 KiB field limit
    shifted = _write(
        tmp_path / "rows.csv",
        f'title,text\nLong,"{long_text}"\nBad,Dock workers walked out, union leaders said.\n'
        "Good,Ships waited offshore.\n",
    )
    with pytest.raises(IngestError, match=r"rows\.csv:3: the row has 3 cells, the header 2"):
        load_paths([shifted])
    loaded = load_paths([shifted], skip_invalid=True)
    assert [a.title for a in loaded.articles] == ["Long", "Good"]
    quoted = _write(tmp_path / "q.tsv", 'title\ttext\nQuote\t"We will not stop," he said.\n')
    [said] = load_paths([quoted]).articles
    assert said.text == '"We will not stop," he said.'  # TSV has no quoting to undo


def test_pasted_jsonl_whose_first_line_is_a_list_is_read_as_the_file_would_be() -> None:
    from service.pipeline.ingest import records_from_string

    pasted = '[{"text": "One happened."}, {"text": "Two happened."}]\n{"text": "Three happened."}'
    loaded = load_records(records_from_string(pasted, "stdin")).articles
    assert [a.text for a in loaded] == ["One happened.", "Two happened.", "Three happened."]


def test_a_table_row_with_trailing_empty_cells_is_read(tmp_path: Path) -> None:
    table = _write(
        tmp_path / "t.csv", "title,text\nT1,Body one is here.,\nT2,Body two is here.,,\n"
    )
    assert [a.title for a in load_paths([table]).articles] == ["T1", "T2"]


def _one(**fields: object) -> object:
    return record_to_article(fields, default_id="r", location="test")


def test_a_records_url_is_shown_without_its_user_and_password() -> None:
    article = _one(text="Some story text here.", url="https://bob:s3cret@news.example/a?x=1")
    assert article.url == "https://news.example/a?x=1"


def test_an_iso_date_with_a_zone_name_is_read() -> None:
    article = _one(text="Some story text here.", published_at="2024-03-05T10:00:00 CEST")
    assert article.published_at is not None and article.published_at.isoformat() == (
        "2024-03-05T10:00:00+02:00"
    )


def test_a_record_of_page_furniture_and_a_binary_file_say_what_they_are(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="nothing but page furniture"):
        record_to_article(
            {"text": "Click here to subscribe to our newsletter. Follow us on Twitter."},
            default_id="x",
            location="test",
        )
    zipped = tmp_path / "articles.json"
    zipped.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(IngestError, match="a binary file, not text"):
        load_paths([zipped])


def test_field_names_in_another_case_are_read_as_a_tables_header_is(tmp_path: Path) -> None:
    """'Content' had been refused as "no 'text' (or 'body'/'content')"."""
    export = [{"Title": "Port strike", "Content": "Dock workers walked out.", "Date": "2024-05-01"}]
    [article] = load_paths([_write(tmp_path / "e.json", json.dumps(export))]).articles
    assert (article.title, article.text) == ("Port strike", "Dock workers walked out.")
    assert article.published_at is not None and article.published_at.day == 1
    # the aliases keep their order whatever the case: a body before a teaser, a headline
    # before a name, a publisher before an author
    body = "Dock workers walked out on Monday."
    other_case = {"Description": "Teaser.", "Name": "Jane Doe", "Author": "Jane Doe"}
    record = {**other_case, "Body": body, "Headline": "Port strike", "Source": "Wire"}
    read = record_to_article(record, default_id="a", location="x")
    assert (read.text, read.title, read.source) == (body, "Port strike", "Wire")
    # an earlier alias in another case wins over a later one in the exact case
    read = record_to_article(
        {"Body": body, "description": "Teaser.", "Headline": "Port strike", "name": "Jane"},
        default_id="a",
        location="x",
    )
    assert (read.text, read.title) == (body, "Port strike")


def test_a_record_without_any_text_field_names_the_fields_it_has(tmp_path: Path) -> None:
    export = [{"webTitle": "Port strike", "fields": {"bodyText": "Dock workers walked out."}}]
    with pytest.raises(IngestError, match="its fields are 'webTitle', 'fields'"):
        load_paths([_write(tmp_path / "g.json", json.dumps(export))])
    with pytest.raises(IngestError) as blank:  # a text given empty is not a missing field
        load_paths([_write(tmp_path / "b.json", json.dumps([{"title": "T", "text": " "}]))])
    assert "its fields" not in blank.value.message


def test_an_exports_one_list_of_records_is_read_under_any_name(tmp_path: Path) -> None:
    """`{"data": [...]}` had been one article, refused as having no text."""
    records = [{"text": "Dock workers walked out."}, {"text": "Ships waited offshore."}]
    for wrapper in ({"data": records}, {"status": "ok", "total": 2, "results": records}):
        path = _write(tmp_path / "w.json", json.dumps(wrapper))
        assert len(load_paths([path]).articles) == 2
    # an article holding a list (its images) is still that one article
    article = {"title": "T", "text": "Dock workers walked out.", "images": [{"src": "a.jpg"}]}
    path = _write(tmp_path / "a.json", json.dumps(article))
    assert [a.title for a in load_paths([path]).articles] == ["T"]
    # a post with its comments, a record with its tags: no list of articles to read
    post = {
        "id": "post-1",
        "summary": "City council approves the new budget after a long debate about the tram "
        "line and the schools",
        "comments": [{"text": "Great news for the city, finally.", "author": "bob"}],
    }
    for record in (post, {"id": 7, "tags": [{"name": "politics"}]}):
        with pytest.raises(IngestError, match="empty article"):
            load_paths([_write(tmp_path / "p.json", json.dumps(record))])
    # a wrapper's notice beside titled records is no post
    notice = "Copyright 2024 The Wire. All Rights Reserved. This material may not be published."
    titled = [{"headline": "Port strike", "body": "Dock workers walked out."}] * 2
    path = _write(tmp_path / "n.json", json.dumps({"copyright": notice, "results": titled}))
    assert len(load_paths([path]).articles) == 2


def test_an_empty_file_is_warned_about_and_named_when_nothing_was_read(tmp_path: Path) -> None:
    """An empty .json had been "invalid JSON on line 1, column 1: Expecting value", an
    empty .jsonl "no articles with text found" with no reason."""
    good = _write(tmp_path / "good.jsonl", json.dumps({"text": "Dock workers walked out."}))
    for name in ("empty.json", "empty.jsonl", "blank.txt"):
        empty = _write(tmp_path / name, "\ufeff \n\n")
        loaded = load_paths([empty, good])
        assert len(loaded.articles) == 1
        assert loaded.warnings == [f"{empty}: the file is empty; nothing was read from it"]
        with pytest.raises(EmptyInputError) as nothing:
            load_paths([empty])
        assert "the file is empty" in nothing.value.user_message


def test_a_pipe_or_a_file_without_a_suffix_is_read_by_its_content(tmp_path: Path) -> None:
    """`digest summarize <(jq -c '.[]' export.json)` and /dev/stdin had been one article
    whose text was the JSON."""
    import os

    jsonl = "\n".join(json.dumps({"id": k, "text": f"Story {k} text."}) for k in "ab") + "\n"
    read, write = os.pipe()
    os.write(write, jsonl.encode())
    os.close(write)
    try:
        assert [a.id for a in load_paths([f"/dev/fd/{read}"]).articles] == ["a", "b"]
    finally:
        os.close(read)
    assert [a.id for a in load_paths([_write(tmp_path / "export", jsonl)]).articles] == ["a", "b"]
    notes = _write(tmp_path / "NOTES", "Port strike\n\nDock workers walked out.")
    [note] = load_paths([notes]).articles
    assert (note.id, note.title) == ("NOTES", "Port strike")


def test_a_jsonl_file_holding_one_pretty_printed_document_is_read_as_it(tmp_path: Path) -> None:
    """Each of its lines had been refused as invalid JSON."""
    records = [{"id": "a", "text": "Dock workers walked out."}, {"id": "b", "text": "Ships."}]
    path = _write(tmp_path / "p.jsonl", json.dumps(records, indent=2))
    assert [a.id for a in load_paths([path]).articles] == ["a", "b"]
    broken = _write(
        tmp_path / "b.jsonl", '{"id": "a", "text": "One."\n{"id": "b", "text": "Two."}\n'
    )
    with pytest.raises(IngestError, match=r"b\.jsonl:1: invalid JSON"):
        load_paths([broken])


def test_utf_16_without_its_byte_order_mark_is_named(tmp_path: Path) -> None:
    """It had been "a binary file", or one invalid JSON line per record."""
    line = json.dumps({"text": "Dock workers walked out."}) + "\n"
    for name, encoding, order in [("a.jsonl", "utf-16-le", "le"), ("b.txt", "utf-16-be", "be")]:
        path = tmp_path / name
        path.write_bytes((line * 3).encode(encoding))
        with pytest.raises(IngestError, match="without its byte-order mark") as named:
            load_paths([path])
        assert f"iconv -f utf-16{order} -t utf-8" in named.value.user_message


def test_a_file_given_twice_is_read_once(tmp_path: Path) -> None:
    """Its articles had been read twice, each folded into the other as its copy."""
    path = _write(tmp_path / "a.jsonl", json.dumps({"id": "x", "text": "Dock workers walked."}))
    loaded = load_paths([path, tmp_path, str(path)])
    assert [a.id for a in loaded.articles] == ["x"]
    assert loaded.warnings == [f"skipped {path}: given more than once; read once"] * 2


def test_skip_invalid_keeps_an_article_whose_date_cannot_be_read(tmp_path: Path) -> None:
    text = "Dock workers went on strike at the port."
    path = _write(tmp_path / "d.json", json.dumps([{"text": text, "Date": "yesterday"}]))
    with pytest.raises(IngestError, match="'yesterday' is not a date"):
        load_paths([path])
    loaded = load_paths([path], skip_invalid=True)
    assert [(a.text, a.published_at) for a in loaded.articles] == [(text, None)]
    assert loaded.warnings[0].endswith("; read without a date")


def test_a_date_that_is_refused_says_why_truly() -> None:
    """'07/29/2007' had been called ambiguous, '2007-13-45' a format to change."""
    refused = {
        "07/29/2007": "written in numbers with the year last",
        "07/08/2007": "is ambiguous",
        "2007-13-45": "no day of the calendar",
        "2023-02-30": "no day of the calendar",
        "2024-03-05 10:00 XYZT": r"time zone this reader does not know \(XYZT\)",
    }
    for written, why in refused.items():
        with pytest.raises(IngestError, match=why):
            _one(text="Some story text here.", published_at=written)


def test_reading_reports_its_progress(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps({"text": f"Story {n} text."}) for n in range(250))
    heard: list[tuple[str, int, int]] = []
    load_paths([_write(tmp_path / "r.jsonl", lines)], progress=lambda *a: heard.append(a))
    assert heard[0] == ("read", 0, 250) and heard[-1] == ("read", 250, 250)
    assert 3 < len(heard) <= 102


def test_a_file_of_no_records_or_of_no_objects_says_what_to_give(tmp_path: Path) -> None:
    """`[]` had got no reason at all, `null` "got NoneType"."""
    with pytest.raises(EmptyInputError) as nothing:
        load_paths([_write(tmp_path / "none.json", '{"articles": []}')])
    assert "objects with a 'text' field" in nothing.value.user_message
    with pytest.raises(IngestError, match="got null") as null:
        load_paths([_write(tmp_path / "null.json", "null")])
    assert '{"title": ..., "text": ...}' in null.value.user_message
