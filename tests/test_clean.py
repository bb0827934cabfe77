from service.pipeline.clean import clean_text, is_boilerplate
from tests.stories import STRIKE_A


def test_boilerplate_lines_are_dropped() -> None:
    cleaned = clean_text(STRIKE_A)
    assert "Getty Images" not in cleaned
    assert "Read Also" not in cleaned
    assert "Share this article" not in cleaned
    assert "Subscribe" not in cleaned
    assert "The strike halted the loading of about 40 container ships" in cleaned


def test_story_lines_that_look_like_furniture_are_kept() -> None:
    for line in [
        "Share prices fell 5 percent on Monday after the announcement.",
        "Copyright lawsuits against the company rose last year.",
        "Related companies also reported losses in the quarter.",
        "Photographers gathered outside the court on Tuesday.",
        "Learn more about the plan at the town hall, the mayor said.",
        "Images of the crash were shared widely on Monday.",
        "Three reporters contributed to the investigation that led to his resignation.",
        "Fans follow the team on Twitter, where it has 2 million followers, the club said.",
        "The figures were updated on 12.05 million accounts, the bank said.",
        "The database listed the address: it was www.example.com, police said.",
    ]:
        assert not is_boilerplate(line), line


def test_known_furniture_patterns() -> None:
    for line in [
        "(Photo : Photo credit should read STR/AFP via Getty Images)",
        "Read Also: Wagner leader to be killed, expert predicts",
        "Related Article: North Korea fires missile",
        "pic.twitter.com/abc123",
        "— Jane Doe (@janedoe) August 14, 2023",
        "https://example.com/some/link",
        "© 2024 Example Media. All rights reserved.",
        "Click here to read more",
        "Starting in 1996, Alexa Internet has been donating their crawl data to the Internet Archive.",
        "These crawls are part of an effort to archive pages as they are created.",
        "Tweet with a location",
        "You can add location information to your Tweets, such as your city.",
        "Advertisement Continue reading the main story",
        "Media playback is unsupported on your device Media caption Listen to an excerpt",
        "Image copyright Getty Images Image caption The band broke up in 1980",
        "Please enable Javascript to watch this video",
        "- - - - - - - - - -",
        "— —",
        "The Associated Press contributed to this report.",
        "Staff writer Paul Walsh contributed to this report.",
        "Reuters contributed reporting from London.",
        "Follow Scott Stump on Twitter and Google+.",
        "Mike's blog post about it: https://www.example.com/anthime...",
        "— Updated at 8:37 p.m.",
        "AP file photo/gannett illustration: Marijuana growing in Medford, Ore.",
    ]:
        assert is_boilerplate(line), line


def test_whitespace_and_blank_runs_are_normalised() -> None:
    assert clean_text("One  line.\r\n\r\n\r\n\u00a0Two line.\n\n") == "One line.\n\nTwo line."


def test_paywall_consent_and_feed_footer_lines_are_furniture() -> None:
    for line in [
        "This article is for subscribers only. Log in here to keep reading the full story.",
        "Already a subscriber? Sign in.",
        "Subscribe now to continue reading and get unlimited access for 1 euro.",
        "Get unlimited access for just 1 euro for the first month. Cancel anytime.",
        "Unlock full access for $1 a week. Cancel any time.",
        "Start your free trial today: 30 days of every story, then 5 euros a month. Cancel anytime.",
        "Digital subscription: $4 a month. Cancel anytime.",
        "Free trial, then $9.99/month. Cancel anytime.",
        "$1 for 3 months, then $15.99 per month. Cancel anytime.",
        "Become a member today for just £5 a month. Cancel anytime.",
        "Support independent journalism from €1 a month. Cancel any time.",
        "Just $2 a week for the first year. Cancel anytime.",
        "The post Chipmaker opens new factory appeared first on Tech Daily.",
        "Related posts: Ten tips for a tidier garage.",
        "We value your privacy",
        "We and our 842 partners store and access information on your device, such as cookies.",
        "This website uses cookies to improve your experience.",
        "Accept all",
    ]:
        assert is_boilerplate(line), line
    for line in [
        "The post office in Valmora reopened on Monday after the strike ended.",
        "Members of the union will vote on the deal on Friday, officials said.",
        "Readers who subscribe to the paper's print edition were not affected, it said.",
        "Customers who want to cancel any time before March can do so without a fee, it said.",
        "Under the new EU rules, customers must be able to cancel any time.",
        "The regulator said gym members can now cancel anytime.",
        "Get full access to the documents, the court told the ministry on Monday.",
        "Start digital access programmes in every school, the minister urged.",
        "Under the new FTC rule, subscribers must be able to cancel any time.",
        "Netflix said its subscribers can cancel any time.",
        "Enjoy full access to the museum for just 5 euros, the mayor said.",
        "Get full access to the documents now, the court told the ministry on Monday.",
        "Start digital access programmes today, the minister urged.",
        "Under the FTC rule, you can cancel any time.",
        "If you signed up through the app store, you can cancel any time.",
        "Start-ups like Peloton and Hello Fresh let customers cancel any time.",
        "Netflix raised its price to $15.49 a month; members can cancel anytime.",
        "Full access to the records was granted to the family, the court ruled on Monday.",
    ]:
        assert not is_boilerplate(line), line


def test_bylines_alone_or_run_into_the_first_sentence_are_cut() -> None:
    """A short page's text came out of the extractor as "By Jane Reporter, Short Times
    2025-03-04 The footpath ... reopened", and that was the summary's first sentence."""
    glued = "By Jane Reporter, Short Times 2025-03-04 The footpath reopened on Friday."
    assert clean_text(glued) == "The footpath reopened on Friday."
    dated = "By John Smith March 4, 2025 WASHINGTON (AP) - The Senate voted."
    assert clean_text(dated) == "WASHINGTON (AP) - The Senate voted."
    for line in [
        "By Sarah Fitzmaurice",
        "By Dominic Casciani, BBC Home Affairs correspondent",
        "By John Smith and Mary Jones",
    ]:
        assert is_boilerplate(line), line
    for line in [
        "By Friday, Congress had passed the bill.",
        "By the end of the year, prices rose.",
        "By 2030 the plant will close.",
    ]:
        assert not is_boilerplate(line) and clean_text(line) == line, line


def test_reference_markers_glued_to_a_word_are_cut() -> None:
    """ "percent.[12] Council ..." showed "[12]" in a summary as if it cited a source, and
    ran two sentences into one."""
    text = clean_text("It rose by five percent.[12] Council voted[a][3] for it.[citation needed]")
    assert text == "It rose by five percent. Council voted for it."
    text = clean_text("Up 5%[3] last year, the 'Big Five'[2] met, he said[4]—and left.")
    assert text == "Up 5% last year, the 'Big Five' met, he said—and left."
    kept = "See Article [5] of the treaty, the [2019] report and the list [1] below."
    assert clean_text(kept) == kept
    # an editor's brackets in a quotation, formulas and scores are text
    for text in [
        "[T]he decision stands.",
        "“[w]e will,” she said.",
        "H[2]O",
        "Section 2[a]",
        "It ended 3[1] after penalties.",
    ]:
        assert clean_text(text) == text


def test_html_given_as_text_is_read_as_text_without_its_scripts() -> None:
    """A body field holding HTML had reached the summary tags and all, <script> included."""
    raw = (
        '<div class="article"><script>alert("x")</script><style>p { color: red }</style>'
        "<p>Alberto <b>Contador</b> of Spain has won the Tour de France.</p>"
        "<p>He beat Cadel Evans by 23 seconds in Paris.</p></div>"
    )
    cleaned = clean_text(raw)
    assert cleaned.split("\n") == [
        "Alberto Contador of Spain has won the Tour de France.",
        "",
        "He beat Cadel Evans by 23 seconds in Paris.",
    ]


def test_entities_are_decoded_and_plain_text_with_brackets_is_kept() -> None:
    assert clean_text("AT&amp;T said it&#39;s done&nbsp;today.") == "AT&T said it's done today."
    for plain in ("Prices rose where a < b and c > d, R&D said.", "Use 3 < 4 > 2 & more."):
        assert clean_text(plain) == plain


def test_what_sources_wrote_is_kept_but_controls_and_odd_spaces_go() -> None:
    """NFKC had turned "5×10⁶" into "5×106" and a Chinese "，" into ","."""
    for written in (
        "Damage is put at 5×10⁶ euros.",
        "The lake covers 300 km².",
        "台风登陆，风力很大。",
    ):
        assert clean_text(written) == written
    assert clean_text("It ended\u2026 in a draw\u00a0at 2\u202f000 fans.") == (
        "It ended... in a draw at 2 000 fans."
    )
    assert (
        clean_text("The \x07bell\x00 rang, the \ufb01nal \x1b[0mone.")
        == "The bell rang, the final one."
    )


def test_a_real_script_goes_even_when_the_story_also_mentions_one() -> None:
    """Every <script> had been escaped once one of them was only mentioned, so the real
    script's code stayed in the article's text."""
    html = (
        "<p>Dock workers went on strike.</p><script>alert('x')</script>"
        "<p>The union said pay was low.</p><p>Hackers planted a <script> tag there.</p>"
    )
    assert clean_text(html) == (
        "Dock workers went on strike.\n\nThe union said pay was low.\n\n"
        "Hackers planted a <script> tag there."
    )
    # a closing tag alone is a mention too
    assert clean_text("<p>It ends with </script> here.</p>") == "It ends with </script> here."


def test_text_that_mentions_a_tag_is_text_not_markup() -> None:
    """Parsed as HTML, an unclosed <script> had swallowed the rest of the article."""
    for written in (
        "Attackers planted a <script> tag in the checkout page. The company said it was fixed.",
        "Send tips to <b.smith@example.com> or call us.",
        "If x <b and y > c then the code fails.",
        "The link ended in ?a=1&region=us&copy=2, the report said.",
    ):
        assert clean_text(written) == written
    assert clean_text("Prices rose 5% <i>year on year</i>. A<B test ran.") == (
        "Prices rose 5% year on year. A<B test ran."
    )
    # a page extractor's plain text is what the page says, "&lt;" and all
    said = "The page showed &lt;script&gt; in its footer."
    assert clean_text(said, markup=False) == said


def test_fullwidth_digits_and_letters_are_ascii_but_cjk_punctuation_stays() -> None:
    """'２０２４年' in the article and '2024年' in a summary are one number to the judge."""
    assert clean_text("トヨタは２０２４年にＡＢＣ社と、台风登陆，风力很大。") == (
        "トヨタは2024年にABC社と、台风登陆，风力很大。"
    )
