"""Reading what a Slack user gave: /digest options, links, pasted texts, thread messages."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from service.errors import InputError
from service.slack.inputs import MIN_ARTICLE_WORDS, parse_command, parse_text, thread_input
from service.slack.prose import strip_links
from tests.stories import COMET, STRIKE_A, STRIKE_B, STRIKE_C


def test_links_in_slack_form_are_found_unescaped_and_once():
    found = parse_text(
        "have a look <https://a.example/x?p=1&amp;q=2|A story> and "
        "<https://b.example/y> and https://a.example/x?p=1&amp;q=2"
    )
    assert found.urls == ["https://a.example/x?p=1&q=2", "https://b.example/y"]
    assert found.texts == []  # "have a look ... and" is a remark, not an article


def test_a_pasted_article_keeps_its_paragraphs_and_lines_of_dashes_separate_articles():
    """Split on blank lines, one article pasted with its paragraph breaks had become
    several 'reports' quoting each other, and paragraphs under 25 words were lost."""
    paragraphs = "\n\n".join(
        [
            "Dock workers at the port of Valmora walked out on Monday over pay.",
            "The union said talks had failed after three weeks.",
            "About 40 container ships were left waiting outside the harbour.",
            "Exporters warned that fruit shipments would spoil within days.",
        ]
    )
    found = parse_text(paragraphs)
    assert len(found.texts) == 1 and found.too_short == 0
    assert found.texts[0].text.count("\n") == 3  # its paragraphs, each on a line
    assert "Exporters warned" in found.texts[0].text


@pytest.mark.parametrize("line", ["---", "—-", "—", "–--", "-----"])
def test_a_line_of_dashes_separates_articles_as_a_phone_types_it_too(line):
    assert len(parse_text(f"{STRIKE_B}\n{line}\n{COMET}").texts) == 2
    windows = f"{STRIKE_B}\n{line}\n{COMET}".replace("\n", "\r\n")
    found = parse_text(windows)
    assert len(found.texts) == 2 and line not in found.texts[0].text


def test_a_section_break_inside_an_article_does_not_split_it():
    for line in ("***", "===", "___"):
        assert len(parse_text(f"{STRIKE_B}\n{line}\n{STRIKE_C}").texts) == 1


def test_pasted_articles_split_on_separator_lines_mentions_removed():
    found = parse_text(f"<@U123> <!here>\n{STRIKE_B}\n---\n{COMET}")
    assert len(found.texts) == 2
    assert found.texts[0].text.startswith("Dock workers at the port of Valmora")
    assert "<@U123>" not in found.texts[0].text and "here" not in found.texts[0].text.split()[0]
    assert found.texts[1].text.startswith("Astronomers at the Altamira")
    assert found.urls == []


def test_separator_lines_keep_multi_paragraph_articles_whole():
    two_paragraphs = STRIKE_B.replace("\n", "\n\n", 1)
    found = parse_text(f"{two_paragraphs}\n---\n{COMET}")
    assert len(found.texts) == 2
    assert "Exporters warned" in found.texts[0].text


def test_a_link_on_its_own_line_is_the_pasted_articles_source_not_fetched():
    found = parse_text(
        f"{STRIKE_C.strip()}\nSource: <https://c.example/strike>\n---\n"
        f"{COMET}\n---\nand also <https://d.example/other|this one>"
    )
    assert [t.url for t in found.texts] == ["https://c.example/strike", None]
    assert found.urls == ["https://d.example/other"]
    assert "c.example" not in found.texts[0].text


def test_short_text_is_a_remark_and_its_link_is_fetched():
    words = " ".join(["word"] * (MIN_ARTICLE_WORDS - 1))
    found = parse_text(f"{words}\nhttps://e.example/story")
    assert found.texts == []
    assert found.urls == ["https://e.example/story"]
    assert found.too_short == 0  # a remark about a link, not a lost article


def test_a_short_text_without_links_is_counted_for_the_asker():
    """A pasted text too short to be an article had been dropped without a word."""
    short = "The port strike ended today after a long night of talks."
    found = parse_text(f"{STRIKE_B}\n---\n{short}\n---\nthanks!")
    assert len(found.texts) == 1 and found.too_short == 1  # "thanks!" is a remark
    assert found.too_short_note() == "1 pasted text of under 25 words was left out"


def test_command_options_are_read_only_at_the_start():
    command = parse_command(f"--private --one-story {STRIKE_B.strip()} it is --public knowledge")
    assert command.ephemeral is True and command.one_story
    assert "--public knowledge" in command.input.texts[0].text
    assert parse_command("—public https://x.example/a").ephemeral is False  # autocorrected dash
    assert parse_command("https://x.example/a").ephemeral is None


@pytest.mark.parametrize(
    "text",
    [
        "https://x.example/a --private https://x.example/b",
        "-private https://x.example/a",
        "--private: https://x.example/a",
        "https://x.example/a --private.",
        "--private<https://x.example/a>",
        "--public https://x.example/a --private https://x.example/b",
        "—Private https://x.example/a",  # a phone's dash and capital
        "https://x.example/a —private https://x.example/b",
        "https://x.example/a --Private https://x.example/b",
    ],
)
def test_private_is_honoured_wherever_it_is_written(text):
    """It was read only first or last; elsewhere the digest was posted in the channel."""
    command = parse_command(text)
    assert command.ephemeral is True
    assert "private" not in " ".join(command.input.urls)
    assert command.input.texts == []


def test_private_inside_prose_makes_the_answer_private_and_leaves_the_words():
    """'-private' inside pasted prose had been cut out: 'would go next year'."""
    command = parse_command(f"The firm said it would go -private next year. {STRIKE_B.strip()}")
    assert command.ephemeral is True
    assert command.input.texts[0].text.startswith("The firm said it would go -private next")
    flag = parse_command(f"{STRIKE_B.strip()} --private and more words after it here")
    assert flag.ephemeral is True and "--private" not in flag.input.texts[0].text
    for edge in (f"-private {STRIKE_B.strip()}", f"{STRIKE_B.strip()} -private"):
        command = parse_command(edge)  # the option, typed with one dash, first or last
        assert command.ephemeral is True and "private" not in command.input.texts[0].text


def test_pasted_text_that_opens_on_a_dash_is_no_option():
    command = parse_command(f"—Reuters reports that {STRIKE_B.strip()}")
    assert command.ephemeral is None
    assert command.input.texts[0].text.startswith("—Reuters reports that")
    public = parse_command(f"—Public health officials said {STRIKE_B.strip()}")
    assert public.ephemeral is None and public.input.texts[0].text.startswith("—Public health")
    prose = f"{STRIKE_B.strip()}\n–Private hospitals treated 40 people. The buyout —private, not"
    assert parse_command(prose).ephemeral is None
    assert "–Private hospitals" in parse_command(prose).input.texts[0].text
    with pytest.raises(InputError):  # a double hyphen is still an option, and a wrong one
        parse_command(f"--reuters {STRIKE_B.strip()}")


@pytest.mark.parametrize("text", ["", "   ", "help", "--help"])
def test_empty_or_help_command_asks_for_usage(text):
    assert parse_command(text).help


def test_unknown_option_says_which_options_exist():
    with pytest.raises(InputError) as info:
        parse_command("--shout https://x.example/a")
    assert "--shout" in info.value.user_message and "--private" in info.value.user_message


def test_describe_counts_links_and_texts():
    found = parse_text(f"<https://a.example/1> <https://a.example/2>\n\n{COMET}")
    assert found.describe() == "2 links and 1 pasted text"


def test_thread_input_reads_each_message_skips_our_bot_and_reads_attachments():
    messages = [
        {"user": "U1", "ts": "1.0", "text": "<@UBOT> summarize these <https://a.example/1>"},
        {"user": "U2", "ts": "1.1", "text": STRIKE_B},  # one message, one article
        {"bot_id": "BBOT", "ts": "1.2", "text": f"earlier digest {COMET}"},  # ours: skipped
        {
            "user": "U3",
            "ts": "1.3",
            "text": "",
            "attachments": [
                {"original_url": "https://b.example/2", "text": "unfurl preview"},
                {"text": COMET},  # a shared message without a link: its text counts
            ],
        },
    ]
    found = thread_input(messages, skip_bots={"BBOT", "UBOT"})
    assert found.urls == ["https://a.example/1", "https://b.example/2"]
    assert [t.text.split()[0] for t in found.texts] == ["Dock", "Astronomers"]


def test_words_of_a_link_inside_a_pasted_article_stay_and_it_is_not_fetched():
    text = (
        "Regulators tightened the harbour rules after <https://n.example/a|an accident last "
        "month> injured two workers, officials said on Tuesday, adding that inspections would "
        "double next year. See <https://n.example/b> and <https://n.example/c|n.example/c>"
    )
    found = parse_text(text)
    [article] = found.texts
    assert "rules after an accident last month injured two workers" in article.text
    assert "n.example" not in article.text
    assert found.urls == ["https://n.example/b", "https://n.example/c"]  # bare or self-labelled
    # in a short remark, a labelled link is what the user wants read
    assert parse_text("read <https://n.example/a|this story>").urls == ["https://n.example/a"]


def test_a_labelled_source_line_names_the_pasted_articles_link():
    found = parse_text(f"Source: <https://c.example/strike|Valmora Gazette>\n{STRIKE_C}")
    assert [t.url for t in found.texts] == ["https://c.example/strike"]
    assert found.urls == [] and "Gazette" not in found.texts[0].text


def test_known_options_at_the_end_count_too():
    command = parse_command("https://a.example/x —private")
    assert command.ephemeral is True and command.input.urls == ["https://a.example/x"]
    assert parse_command("https://a.example/x --one-story --public").one_story
    assert parse_command("https://a.example/x --one-story --public").ephemeral is False
    assert parse_command("--private help").help
    pasted = parse_command(f"{STRIKE_B.strip()} --private")
    assert pasted.ephemeral is True
    assert pasted.input.texts[0].text.endswith("if the stoppage continues.")


def test_a_shared_slack_message_is_read_as_its_text_not_fetched():
    shared = {
        "from_url": "https://team.slack.com/archives/C1/p1700000000000100",
        "is_share": True,
        "text": STRIKE_B,
    }
    unfurl = {"original_url": "https://b.example/strike", "text": "A preview of the page."}
    found = thread_input(
        [{"user": "U1", "ts": "1.0", "text": "look", "attachments": [shared, unfurl]}],
        skip_bots=set(),
    )
    assert found.urls == ["https://b.example/strike"]  # a link preview: the page is fetched
    assert len(found.texts) == 1 and "Dock workers at the port of Valmora" in found.texts[0].text


def test_a_slack_link_keeps_its_closing_bracket_a_bare_one_loses_sentence_marks():
    found = parse_text(
        "see <https://en.wikipedia.org/wiki/Mercury_(planet)> and (https://a.example/x)."
    )
    assert found.urls == ["https://en.wikipedia.org/wiki/Mercury_(planet)", "https://a.example/x"]


def test_a_thread_over_the_limit_keeps_its_earliest_articles_in_posting_order():
    messages = [
        {"user": "U1", "ts": "1.0", "text": STRIKE_B},  # a pasted article comes first
        {"user": "U2", "ts": "1.1", "text": "<https://a.example/1> <https://a.example/2>"},
        {"user": "U3", "ts": "1.2", "text": COMET},
    ]
    found = thread_input(messages, skip_bots=set(), limit=2)
    assert [t.text.split()[0] for t in found.texts] == ["Dock"]
    assert found.urls == ["https://a.example/1"]
    assert found.size == 2 and found.left_out == 2
    everything = thread_input(messages, skip_bots=set())
    assert everything.size == 4 and everything.left_out == 0


REMARK = (
    "Interesting take on the Valmora port strike. Honestly I think the union is right and "
    "the port authority has been dragging its feet on safety for years, they deserve this "
    "walkout."
)


def test_a_link_with_a_remark_under_it_is_fetched_and_the_remark_is_talk():
    """'<link>\\n<an opinion of 25+ words>' had made the opinion that link's article: the
    page was never read and the user's words were cited as the outlet's."""
    message = {"user": "U1", "ts": "1.0", "text": f"<https://b.example/strike>\n{REMARK}"}
    found = thread_input([message], skip_bots=set())
    assert found.urls == ["https://b.example/strike"] and found.texts == []
    one_sentence = "<https://b.example/strike>\n" + " ".join(["the union is right"] * 8) + "."
    assert parse_text(one_sentence).urls == ["https://b.example/strike"]
    # an article reads as one: several sentences, no one speaking in the first person ...
    article = parse_text(f"{STRIKE_B.strip()}\n<https://b.example/strike>")
    assert [t.url for t in article.texts] == ["https://b.example/strike"] and not article.urls
    quoted = f'{STRIKE_C.strip()} "I think we will win," the union leader said.\n<https://c.x/1>'
    assert [t.url for t in parse_text(quoted).texts] == ["https://c.x/1"]  # quoted: reported
    # ... a long paste of several paragraphs ("Subscribe to our newsletter" in it) ...
    assert [t.url for t in parse_text(f"{STRIKE_A}\n<https://a.example/1>").texts] == [
        "https://a.example/1"
    ]
    # ... or a text that says its line is its source
    labelled = parse_text(f"{REMARK} And so it goes.\nSource: <https://b.example/strike>")
    assert [t.url for t in labelled.texts] == ["https://b.example/strike"]


CHINESE = (
    "瓦尔莫拉港的码头工人周一举行罢工，要求提高工资和改善安全规定。港口官员表示，罢工导致约"
    "40艘集装箱船停止装货。工会要求加薪百分之十二，并在去年发生两起事故后进行新的安全检查。"
)
JAPANESE = (
    "ヴァルモラ港の港湾労働者は月曜日、賃金と安全規則をめぐってストライキを始めた。港湾当局"
    "によると、ストライキにより約40隻のコンテナ船の荷役が止まった。"
)


def test_chinese_and_japanese_pastes_are_articles_by_their_word_count():
    """Words had been counted by spaces: a Chinese article was 1 word, and was refused."""
    for text in (CHINESE, JAPANESE):
        [pasted] = parse_text(text).texts
        assert pasted.text == text
    [in_thread] = thread_input(
        [{"user": "U1", "ts": "1.0", "text": CHINESE}], skip_bots=set()
    ).texts
    assert in_thread.text == CHINESE
    short = parse_text("瓦尔莫拉港的码头工人周一举行罢工，要求提高工资。")  # about 14 words
    assert short.texts == [] and short.too_short == 1


@pytest.mark.parametrize(
    "text",
    [
        "--private --public https://x.example/a",
        "--public https://x.example/a --private",
        "https://x.example/a --private --public",
        "https://x.example/a --public --private",
        "--private https://x.example/a --public",
        "‑‑public https://x.example/a ‑‑private",  # U+2011, a non-breaking hyphen
    ],
)
def test_private_wins_over_public_in_any_order(text):
    """'--private --public <link>' had posted the digest in the channel."""
    command = parse_command(text)
    assert command.ephemeral is True and command.input.urls == ["https://x.example/a"]


@pytest.mark.parametrize(
    "text",
    [
        "https://x.example/a (--private)",
        "https://x.example/a `--private`",
        "https://x.example/a *--private* https://x.example/b",
        "_--private_ https://x.example/a",
        "https://x.example/a ‑‑private",  # U+2011
        "https://x.example/a −−private https://x.example/b",  # minus signs
    ],
)
def test_private_in_brackets_formatting_or_other_hyphens_counts(text):
    command = parse_command(text)
    assert command.ephemeral is True
    assert all("private" not in url for url in command.input.urls)
    assert command.input.texts == [] and command.input.too_short == 0


def test_mentions_and_addresses_keep_the_words_slack_shows():
    """<mailto:...|...>, <@U...|name> and <#C...|name> had been dropped from a pasted
    text, leaving holes in its sentences ("write to for strike updates")."""
    text = (
        f"{STRIKE_C.strip()}\nUnion leader Mara Vell told <@U0123|mara> and <#C0456|general> "
        "to write to <mailto:press@x.example|press@x.example> for strike updates, and "
        "thanked the crowd at the town hall <@U0124>. Ask <mailto:desk@x.example> "
        "<!here>, she said."
    )
    [pasted] = parse_text(text).texts
    assert "told @mara and #general to write to press@x.example for strike updates" in (pasted.text)
    assert "at the town hall. Ask desk@x.example, she said." in pasted.text
    assert "U0124" not in pasted.text and "!here" not in pasted.text


def test_slack_quote_markers_and_code_fences_are_not_the_articles_words():
    """A paste quoted with '> ' kept '> ' in its summary and headline; one in a code block
    got no summary."""
    quoted = "\n".join(f"&gt; {line}" for line in STRIKE_B.strip().splitlines())
    for text in (quoted, f"```{STRIKE_B.strip()}```", f"```\n{STRIKE_B.strip()}\n```"):
        [pasted] = parse_text(text).texts
        assert pasted.text == STRIKE_B.strip()
    blockquote = parse_text(f"&gt;&gt;&gt; {STRIKE_C.strip()}")
    assert blockquote.texts[0].text == STRIKE_C.strip()


def test_a_link_posted_again_is_read_once_and_is_no_input_left_out():
    """A repeated link had been counted as left out: 'Only the first 2 of the thread's 4
    links and texts were summarized' of a thread with 2."""
    messages = [
        {"user": "U1", "ts": "1.0", "text": "Have a look at <https://a.example/1>"},
        {"user": "U2", "ts": "1.1", "text": "Same here <https://b.example/2|Outlet B>"},
        {"user": "U3", "ts": "1.2", "text": "and again <https://a.example/1>"},
        {
            "user": "U4",
            "ts": "1.3",
            "text": "<https://a.example/1>",
            "attachments": [{"original_url": "https://a.example/1", "title": "Valmora"}],
        },
    ]
    found = thread_input(messages, skip_bots=set(), limit=2)
    assert found.urls == ["https://a.example/1", "https://b.example/2"] and found.left_out == 0
    late = [*messages, {"user": "U5", "ts": "1.4", "text": "<https://c.example/3>"}] * 2
    assert thread_input(late, skip_bots=set(), limit=2).left_out == 1  # c, twice, is one


def test_the_mention_that_asked_is_read_for_its_links_only():
    """'@digest could you please summarize the links in this thread for me? I missed ...'
    had become a story of the digest."""
    request = (
        "<@UBOT> could you please summarize the links in this thread for me? I missed the "
        "morning meeting and I want to catch up on everything the team discussed about the "
        "port before the call tomorrow, and <https://c.example/3> too"
    )
    messages = [
        {"user": "U2", "ts": "1.0", "text": "<https://a.example/1>"},
        {"user": "U3", "ts": "1.1", "text": STRIKE_B},
        {"user": "U6", "ts": "1.2", "text": request},
    ]
    found = thread_input(messages, skip_bots={"UBOT"}, request_ts="1.2")
    assert found.urls == ["https://a.example/1", "https://c.example/3"]
    assert [t.text.split()[0] for t in found.texts] == ["Dock"]
    # not the request: its links are still read, its words are talk (first person), left out
    other = thread_input(messages, skip_bots={"UBOT"})
    assert other.urls == found.urls and len(other.texts) == 1


PAYWALLED = "https://paywalled.example/story"
PASTED = (
    "Dock workers at the port of Valmora walked off the job on Monday, halting container "
    "traffic, the union said. The strike is expected to last three days. Shipping lines have "
    "diverted vessels to other ports."
)


@pytest.mark.parametrize("order", [1, -1])
def test_a_pasted_article_of_a_link_wins_over_the_bare_link_in_either_order(order):
    """'Source: <link>' and its article, posted under the bare link, had counted as that
    link posted again: the paste was dropped and the (paywalled) link fetched."""
    messages = [
        {"user": "U1", "ts": "1.0", "text": f"<{PAYWALLED}>"},
        {"user": "U2", "ts": "1.1", "text": f"Source: <{PAYWALLED}>\n{PASTED}"},
    ][::order]
    for limit in (None, 1, 2):
        found = thread_input(messages, skip_bots=set(), limit=limit)
        assert found.urls == [] and [(t.url, t.text) for t in found.texts] == [(PAYWALLED, PASTED)]
        assert found.left_out == 0  # the article took its link's place
    paste = next(m for m in messages if m["text"].startswith("Source"))
    pasted_twice = thread_input([*messages, paste], skip_bots=set())
    assert len(pasted_twice.texts) == 1 and pasted_twice.urls == []


def takes_linear_time(read: Callable[[str], object], adversarial: Callable[[int], str]) -> None:
    """Assert that `read` takes about four times as long on 40,000 adversarial characters
    as on 10,000, not sixteen (a quadratic pattern), and well under a second: loose bounds,
    for a slow CI machine; the patterns had taken seconds, before the 3-second ack."""
    read(adversarial(100))  # lazy imports
    timings = []
    for size in (10_000, 40_000):
        start = time.perf_counter()
        read(adversarial(size))
        timings.append(time.perf_counter() - start)
    short, long = timings
    assert long < 1.0 and long < 8 * short + 0.1, timings


LINK_LINE = "<https://a.example/x>\n"  # a text under a link is read for sentences and quotes


@pytest.mark.parametrize(
    ("read", "adversarial"),
    [
        # a sentence's end tried from each mark of a run
        pytest.param(parse_text, lambda n: LINK_LINE + "word " * 30 + "." * n + "x", id="dots"),
        pytest.param(
            parse_text, lambda n: LINK_LINE + "word " * 30 + "?!" * (n // 2) + "x", id="marks"
        ),
        # a hole closed up, tried from each blank
        pytest.param(strip_links, lambda n: " " * n + "x", id="blanks"),
        pytest.param(strip_links, lambda n: "<!here> " * (n // 8) + "x", id="holes"),
        pytest.param(parse_command, lambda n: "a" + " " * n + "b", id="command"),
        # quotations never closed
        pytest.param(parse_text, lambda n: LINK_LINE + "word " * 30 + "“" * n, id="quotes"),
        pytest.param(parse_text, lambda n: LINK_LINE + "word " * 30 + "„" * n, id="low-quotes"),
    ],
)
def test_adversarial_text_is_read_in_linear_time(read, adversarial):
    takes_linear_time(read, adversarial)


def _article_around(sentence: str) -> str:
    """A one-paragraph article of three sentences and 25 words or more, with `sentence`,
    under its link: cited when it reads as an article, else the link is fetched."""
    return (
        f"<https://a.example/x>\n{sentence} Officials said the work would take three years "
        "to finish. About 40 people attended the ceremony on Monday."
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "A Phase I trial of the vaccine began in Boston on Monday, the company said.",
        "The memorial to the soldiers of World War I was restored this spring.",
        "Traffic on I-95 was halted for six hours after a lorry overturned.",
        "Cases of Type I diabetes among children rose again last year.",
        "The chapel, built under Elizabeth I and rebuilt after a fire, reopened.",
        "The chapel of Queen Elizabeth I's court reopened to visitors after a fire.",
        "Title I funds for the district's schools were cut by a tenth.",
    ],
)
def test_an_i_that_is_no_one_speaking_leaves_a_pasted_article_an_article(sentence):
    """'Phase I trial' had read as the writer's 'I': the article was taken for a remark,
    thrown away, and its (paywalled) link fetched."""
    found = parse_text(_article_around(sentence))
    assert [t.url for t in found.texts] == ["https://a.example/x"] and found.urls == []
    remark = parse_text(_article_around("Yesterday I walked past the site of the new bridge."))
    assert remark.texts == [] and remark.urls == ["https://a.example/x"]


def test_a_quotation_left_open_to_its_paragraphs_end_is_quoted():
    """News style runs a quote on over paragraphs and closes it only in the last: the
    'Our' of the first paragraph had made the pasted article a remark."""
    text = (
        "<https://a.example/x>\n“We will not back down,” the union leader told the crowd on "
        "Monday. “Our members deserve better pay, and we will stay out until the port "
        "listens.\n“We have waited three years for this,” she said. Loading stopped, officials "
        "said."
    )
    assert [t.url for t in parse_text(text).texts] == ["https://a.example/x"]
    remark = (
        "<https://a.example/x>\n“The union has been dragging its feet,” says the piece. "
        "Honestly I think that is wrong. The port authority has ignored safety for years."
    )
    assert parse_text(remark).urls == ["https://a.example/x"]


def test_a_greater_than_sign_at_a_lines_start_is_the_writers():
    """'&gt;50 people were hurt' had lost its '>' as if it were Slack's quote marker: '50
    people were hurt', a number the article never gave."""
    text = (
        "&gt;50 people were hurt when a crane collapsed at the port of Valmora on Monday, "
        "officials said.\n&gt; The union called a strike over safety rules that afternoon, "
        "and talks will resume on Wednesday."
    )
    [pasted] = parse_text(text).texts
    assert pasted.text.startswith(">50 people were hurt")
    assert "\nThe union called a strike" in pasted.text  # Slack's marker, "&gt; ", goes


def test_talk_in_a_thread_is_left_out_and_articles_pasted_there_are_read():
    """A first-person comment of 30 words had been cited as one of the story's sources."""
    talk = (
        "I think the union has a point here, we covered the last strike in 2019 and the same "
        "issues about pay and safety came up then, so let's see what the outlets say now"
    )
    quoting = (  # a news story whose "we" is a quoted speaker's
        "The union's leader spoke to reporters on Monday at the port of Valmora. "
        '"We will not go back to work without a fair offer," she said. Talks resume on '
        "Wednesday, port officials said, and ships are waiting offshore."
    )
    column = "\n\n".join(  # a long first-person paste: a column, read as an article
        ["I spent Monday at the port of Valmora with the dockers on strike over pay."] * 4
    )
    messages = [
        {"user": "U2", "ts": "1.0", "text": STRIKE_B},
        {"user": "U3", "ts": "1.1", "text": talk},
        {"user": "U4", "ts": "1.2", "text": quoting},
        {"user": "U5", "ts": "1.3", "text": column},
    ]
    texts = [t.text for t in thread_input(messages, skip_bots={"UBOT"}).texts]
    assert [t.split()[0] for t in texts] == ["Dock", "The", "I"]
    assert parse_text(talk).texts  # typed into /digest itself, it is still what was asked for
