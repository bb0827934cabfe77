"""Sentence splitting for news text, with no model and no download.

In: cleaned article text. Out: the story's sentences in order, each with its
paragraph-relative position. Headings, datelines and captions (lines without
closing punctuation, or short lines with no verb) are not sentences of the story and
are left out, so a summary never quotes a subheading as a fact.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "gen",
    "col",
    "lt",
    "sgt",
    "spc",
    "pfc",
    "cpl",
    "pvt",
    "det",
    "capt",
    "gov",
    "sen",
    "rep",
    "rev",
    "hon",
    "pres",
    "maj",
    "cmdr",
    "adm",
    "supt",
    "insp",
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "inc",
    "ltd",
    "co",
    "corp",
    "no",
    "vs",
    "etc",
    "approx",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "a.m",
    "p.m",
    "i.e",
    "e.g",
    "fig",
    "est",
    "dept",
    "univ",
    "mt",
    "ft",
    "ave",
    "blvd",
}
# Chinese and Japanese characters (kana, CJK ideographs): scripts written without spaces.
_UNSPACED_SCRIPT = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A boundary candidate: end punctuation, optional closing quotes/brackets, space, then an
# optional opening quote and the letter or digit `next` (`_opens_sentence` judges it); or
# a stop glued to the next sentence by a scraper ("last month.Kanasho Johns was"; two
# lower-case letters before it, so not "U.S.Army" or "St.Louis"); or an ideographic full
# stop, '!' or '?' (or '.', '!', '?' run into such a script), which no space follows in
# Chinese and Japanese.
_BOUNDARY = re.compile(
    rf"""(?P<end>[.!?]+["'”’)\]]*)\s+(?=["'“‘(\[]?(?P<next>[^\W_]))
      | (?<=[a-z][a-z])(?P<glued>[.!?]["'”’)\]]*)(?=[A-Z][a-z])
      | (?<=[a-z][a-z])(?P<glued_quote>[.!?])(?=["“][A-Z])    # him."I had: a quotation opens
      | (?P<stop>(?:[。！？]|．(?!\d)|[.!?](?=["'”’)\]」』]*[「『“‘(]?[{_UNSPACED_SCRIPT}]))
                 [.!?。！？．]*["'”’)\]」』]*)\s*""",
    re.VERBOSE,
)
_ENDS_SENTENCE = re.compile(r"""[.!?。！？．]["'”’)\]」』]*$""")
_UNSPACED = re.compile(f"[{_UNSPACED_SCRIPT}]")
_HANGUL = re.compile("[\uac00-\ud7a3]")  # Korean syllables (spaced words)
_MIN_WORDS = 4
# Sentences that are page furniture or photo captions, not story, wherever a scraper
# left them: calls to click, subscribe or read on, "In this July 1, 2017, file photo, ...",
# "This photo provided by ... shows ...", Q&A labels, tweets ("@handle: ..."), text glued
# to a menu by " | ", the Internet Archive's notice on pages it crawled ("Crawls of
# supported "No More 404" sites"), a wire caption's "(L)" (not "(left)": the Daily Mail
# glues such captions into its story text), a video player's "CLOSE", an author's bio
# ("Mark Stern covers the courts for Slate."), a byline's name printed twice, a
# broadcaster's "has the details", a photo credit, "Follow her on Twitter", "Contact him
# at 408-...", a film's "Advisory:" and credits, a caption's "[Reuters]", the page's "provided
# below", and an AP caption's position ("Megan Rapinoe, front, fends off ...": not "Olivia,
# center, was killed.").
_FURNITURE_SENTENCE = re.compile(
    r"""\bclick\s+(?:here|below|the\s+link)\b
      | ^read\s+on\b                                                  # "Read on for ..."
      | \bunsubscribe\b
      | \bsign(?:ing)?\s+up\b.{0,60}\b(?:newsletters?|alerts|emails?)\b
      | \bin\s+this\s+(?:[\w.,]+\s+){0,7}?(?:file\s+)?(?:photo|image|picture)\b
      | ^this\s+(?:[\w.,-]+\s+){0,7}?(?:photo|image|picture)\s+
          (?:(?!(?:is|was|were|has|had)\b)[\w.,-]+\s+){0,8}?shows\b    # "... provided by X shows"
      | ^[QA]\s*:
      | ^(?:image\s+)?caption\b | ^buy\s+photo\b | \bcredit\s*:\s | ^(?:image|photo|video)\s*:
      | \b(?:AP|AFP|Reuters|Getty)\s+(?:Photo|Images)\s*/
      | ^(?:last\s+)?updated\s+(?:at|on)\b
      | ^@\w+\s*:
      | \s\|\s
      | \bNo\s+More\s+404\b | \bfix\s+all\s+broken\s+links\b
      | \barchive\s+pages\s+as\s+they\s+are\s+created\b
      | \bweb\s+wide\s+crawl\b | \bseedlist\b | \bscope\s+of\s+the\s+crawl\b   # a web archive's
      | \bmanually\s+excluded\s+sites\b                                       # crawl notes
      | ^an?\s+(?:(?:undated|file|handout)\s+){0,2}(?:photo(?:graph)?|image|picture|sketch
          |rendering|screenshot|illustration)\s+(?:from\s[^,.]{1,80},\s+with\b|released\s+of\b)
                          # verbless: "A photo from the 1998 excavation, with ...", "A sketch
                          # released of ..."; not "A photo released by police shows ..."
      | (?-i:[a-z]\s\((?:L|L-R|R-L)\)\s+(?:is|are|was|were|and|with|speaks|talks|poses)\b)
      | (?-i:^CLOSE\s)                                         # a video player's "CLOSE"
      | \bhas\s+(?:the|more)\s+details(?:\s+(?:about|on)\s[^.]{1,80})?\.$  # "X has the details."
      | ^(?:photo|image|picture)s?\s*(?:by|courtesy|via)\b       # "Photo by: William Yap."
      | ^(?:photo|image|picture)\s+from\s+(?:\S+\s+){0,6}\S+\.$     # "Image from the campaign."
      | ^follow\s+(?:\S+\s+){0,3}?(?:on|at)\s+(?:twitter|facebook|instagram)\b
      | ^follow\s+(?:him|her|them|us)\s+(?:on|at)\b
      | ^contact\s+(?:\S+\s+){0,3}?at\s+(?:\(?\d{3}\)?[-.\s]\d{3}|\S+@)  # "Contact her at 925-943-"
      | \bplease\s+(?:turn\s+on|enable)\s+javascript\b
      | ^advisory\s*:                                      # "Advisory: This film contains ..."
      | ^starring\s                                             # a film listing's credits
      | ^in\s+\w+(?:\s+and\s+(?:in\s+)?(?:some\s+)?\w+)?\s+with\s+english\s+subtitles\.$
      | \[(?:Reuters|AP|AFP|EPA|Getty(?:\s+Images)?)\]            # a caption's agency credit
      | \b(?:provided|listed|shown|included|embedded)\s+below\b
      | (?-i:^(?:[A-Z][\w.'’-]*\s){0,4}[A-Z][\w.'’-]*,\s(?:left|right|front|center|centre|top
          |bottom|(?:second|third)\s+from\s+(?:left|right)|from\s+(?:left|right)),\s
          (?!was\b|is\b|has\b)[a-z]+s\b)                    # "Megan Rapinoe, front, fends off"
      | (?-i:^(?:[A-Z][a-z]+\s){1,2}[A-Z][\w'’-]+\s(?:covers|writes\s+about)\s.{0,80}
          \bfor\s+(?:[A-Z][\w.&'’-]*\s?){1,4}\.$)              # "Mark Stern covers ... for Slate."
      | (?-i:\b(?P<name>[A-Z][a-z]+(?:\s[A-Z][\w.'’-]+){1,3})\s(?P=name)\b)  # a byline twice""",
    re.IGNORECASE | re.VERBOSE,
)
# What may open a paragraph without being part of its first sentence: a list item's
# marker ("* "), a web page's "Scroll down for video" or a video player's "Skip x Embed x
# Share" glued to the story, a date line
# run into the text ("Saturday, March 26, 2005 "), and a
# dateline ("TEXAS, US – ", "WASHINGTON (Reuters) - ", "WASHINGTON—", "Meadow Lake,
# Saskatchewan – ", "(CNN) - ", "(CNN)Patience", "KATHMANDU, Nepal (AP) — ", "NEW YORK,
# May 18 (UPI) -- ").
# A one-word city ("London, England — ") only when a sentence opens after the dash, so
# that "Meanwhile, Senator Smith — who ..." keeps its opening.
_PARAGRAPH_PREFIX = re.compile(
    r"""^(?:
        (?:[*•·▪‣◦–—-]|--)\s+
      | [Ss]croll\s+down\s+for\s+(?:video|more)\s+(?=[A-Z])
      | (?:[Ss]kip\s+in\s+)?Skip\s+x\s+Embed\s+x\s+Share\s+(?=[A-Z])   # a video player's buttons
      | (?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s+[A-Z][a-z]+\.?\s+\d{1,2},\s+\d{4}\s+
      | [A-Z][A-Z.'’]+(?:[\s,]+[A-Z][A-Z.'’]+)*(?:\s*\([^)]{1,40}\))?\s+[–—-]{1,2}\s+
      | [A-Z][A-Z.'’]{2,}(?:[\s,]+[A-Z][A-Z.'’]+)*(?:\s*\([^)]{1,40}\))?[–—](?=[A-Z])
      | (?:[A-Z][\w.'’]*\s){1,3}?[A-Z][\w.'’]*,(?:\s[A-Z][\w.'’]*){1,3}\s[–—]\s+
      | [A-Z][\w.'’]*,(?:\s[A-Z][\w.'’]*){1,3}\s[–—]\s+(?=["“A-Z0-9])
      | [A-Z][A-Z.'’]+(?:\s[A-Z][A-Z.'’]+)*,(?:\s[A-Z][\w.'’]*){1,3}(?:\s*\([^)]{1,40}\))?
          \s+(?:--?|[–—])\s+(?=["“A-Z0-9])
      | \([A-Z][\w.&'’ ]{0,30}\)(?:\s*[–—-]{1,2}\s+|(?=[A-Z]))
      | [^()\n!?]{0,60}?\((?:AP|CNN|Reuters|UPI|AFP|Bloomberg|BBC|NPR|dpa|IANS|PTI|ANI|Xinhua
          |AAP|CNBC|HealthDay|Sputnik|TASS|Yonhap|Kyodo)\)\s*(?:[–—-]{1,2}\s*)?(?=["“A-Z0-9])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article; `index` is its order in the article (0 = lead);
    `quoted` when it lies inside a quotation that an earlier sentence of its paragraph
    opened (a speaker's words, though no quotation mark shows in it)."""

    article_id: str
    index: int
    text: str
    quoted: bool = False

    @property
    def words(self) -> int:
        return word_count(self.text)


def is_unspaced(text: str) -> bool:
    """True when `text` holds Chinese or Japanese, written without spaces between words."""
    return bool(_UNSPACED.search(text))


def word_count(text: str) -> int:
    """Words in `text`; in Chinese and Japanese, written without spaces, every one and a
    half characters count as a word (about their mean word length), so that length rules
    meant for spaced text neither reject nor favour every sentence of theirs. A Korean
    word (a spaced eojeol: a noun and its particle, a verb and its endings) counts one
    and a half: "기상청은 대설 경보를 발령했다." ("The weather agency issued a heavy snow
    warning.") is four eojeol, and every sentence that short had been left out."""
    unspaced = len(_UNSPACED.findall(text))
    tokens = (_UNSPACED.sub(" ", text) if unspaced else text).split()
    korean = sum(bool(_HANGUL.search(t)) for t in tokens) // 2 if _HANGUL.search(text) else 0
    if not unspaced:
        return len(tokens) + korean
    return sum(any(c.isalnum() for c in token) for token in tokens) + unspaced * 2 // 3 + korean


def _opens_sentence(char: str) -> bool:
    """`char`, after end punctuation and a space, may open a sentence: a digit, a capital
    in any cased script (Ä, É, Д, not only A-Z), or a letter of a script without case.
    A lower-case letter continues the sentence ("approx. five", "Ph.D. students")."""
    return char.isdecimal() or (char.isalpha() and not char.islower())


# "..., said D.C. Councilmember Mary Cheh.": dotted initials after "said" and before two
# capitalised words are the start of the speaker's title or name, not a sentence's end
# ('"We played hard," said T.J. He scored 20.' does end: "He scored" is no name).
_SAID_INITIALS = re.compile(r"\b(?:said|says|told)\s+(?:[A-Z]\.)+[A-Z]\.$")
_TWO_CAPITALS = re.compile(r"[A-Z][\w'’-]*\s+[A-Z]")


def _speaker_goes_on(chunk: str, after: str) -> bool:
    """Whether "said D.C." ends `chunk` and the speaker's name or title follows in `after`."""
    return bool(_SAID_INITIALS.search(chunk[-40:]) and _TWO_CAPITALS.match(after))


def ends_on_an_abbreviation(text: str) -> bool:
    """Whether the last word of `text` is an abbreviation that keeps its stop ("Co", "U.S",
    "Jr"), so that a stop after it is part of the word."""
    return _is_abbreviation(text.rstrip(".") + ".")


def _is_abbreviation(chunk: str) -> bool:
    words = chunk.rstrip(".!?\"'”’)]").rsplit(None, 1)
    if not words:  # nothing but punctuation ("...")
        return False
    word = words[-1].lower().rstrip(".")
    if word.rsplit("/", 1)[-1] in _ABBREVIATIONS:  # "Korea/U.S." ends on "u.s"; not "A/C."
        return True
    # Initials such as "J." in "John F. Kennedy", but not a sentence-final "I."
    return len(word) == 1 and word.isalpha() and word != "i"


def _quotation_goes_on(paragraph: str, match: re.Match[str]) -> bool:
    """A Japanese quotation closed after its '？' or '！' and taken up by the sentence
    (「大丈夫か？」と彼は聞いた。), as `"Are you hurt?" he asked.` is in English."""
    closed = match.group("stop").endswith(("」", "』"))
    return closed and paragraph.startswith(("と", "って"), match.end())


def split_paragraph(paragraph: str) -> list[str]:
    """Split one paragraph into sentences, keeping abbreviations and initials intact."""
    parts: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        if match.group("stop"):  # Chinese and Japanese have no abbreviations with a stop
            if _quotation_goes_on(paragraph, match):
                continue
            end = match.end("stop")
        elif match.group("glued") or match.group("glued_quote"):
            end = match.end("glued") if match.group("glued") else match.end("glued_quote")
            if _is_abbreviation(paragraph[start:end]):
                continue
            if match.group("glued_quote") and paragraph[start:end].count('"') % 2:
                continue  # '"unacceptable."A spokesman': the quote closes, it opens nothing
        elif _opens_sentence(match.group("next")):
            end = match.end("end")
            if match.group("end").startswith(".") and (
                _is_abbreviation(paragraph[start:end])
                or _speaker_goes_on(paragraph[start:end], paragraph[match.end() :])
            ):
                continue
        else:
            continue
        parts.append(paragraph[start:end].strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        parts.append(tail)
    return _rejoin_quotations([p for p in parts if p])


def quotes_balanced(text: str) -> bool:
    """Every quotation opened in `text` is closed."""
    return text.count('"') % 2 == 0 and text.count("“") == text.count("”")


def _rejoin_quotations(parts: list[str], most: int = 3) -> list[str]:
    """Glue back a quotation the splitter cut (`"We will win. We have the votes," he said.`).

    A piece that opens a quotation is joined with up to `most` following pieces when
    that closes it; a quotation never closed in the paragraph (news style runs long
    quotes across paragraphs) is left as it was.
    """
    joined: list[str] = []
    index = 0
    while index < len(parts):
        piece = parts[index]
        if not quotes_balanced(piece):
            for extra in range(1, most + 1):
                if index + extra >= len(parts):
                    break
                candidate = " ".join(parts[index : index + extra + 1])
                if quotes_balanced(candidate):
                    piece, index = candidate, index + extra
                    break
        joined.append(piece)
        index += 1
    return joined


def is_furniture(text: str) -> bool:
    """Page furniture or a photo caption's marks (`_FURNITURE_SENTENCE`): a click call, a
    credit, an AP caption's "Megan Rapinoe, front, fends off ...", a crawl notice."""
    return bool(_FURNITURE_SENTENCE.search(text))


def is_story_sentence(text: str) -> bool:
    """A real sentence: closing punctuation and enough words (not a heading or dateline),
    and not page furniture or a photo caption."""
    return (
        bool(_ENDS_SENTENCE.search(text))
        and word_count(text) >= _MIN_WORDS
        and not is_furniture(text)
        and not is_dated_caption(text)
    )


# Irregular past forms that are no present form too ("fell", not "hit" or "read").
IRREGULAR_PASTS = frozenset(
    """made took went came gave found met won lost led held ran began fell got saw knew
    thought brought built sent spent paid kept struck shot fought caught sold stood broke
    spoke wrote rose drove flew grew became felt heard taught sat slid swept sank tore woke
    threw blew drew fled froze hung hid rode rang sang shook slept sought stole swore
    withdrew chose dealt forgot""".split()
)
# A wire photo caption's date: the weekday, the day and the year ("Friday, Oct. 14, 2011").
_CAPTION_DATE = re.compile(
    r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep"
    r"|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+(?:19|20)\d\d\b"
)
# What follows a caption's date: the end, or where the picture was taken (", in Rome.").
_AFTER_THE_DATE = re.compile(
    r"(?:[.!?…]*[\"”’)]*\s*$|,?\s+(?:in|at|near|outside|off|on|aboard)\s+(?:the\s+)?[A-Z])"
)
# Where a caption's main clause ends ("People pray | before placing flowers ...").
_SUBORDINATE = re.compile(r"\b(?:after|as|who|that|which|when|while|before|because|where)\b")
# What a news sentence says and a caption does not: a past, a future, a report ("Steve Jobs
# died ...", "The funeral will be held ...", "... was arrested", "said").
_NEWS_WORDS = (
    frozenset(
        """is are was were had did said says told been according will would shall could should
        might""".split()
    )
    | IRREGULAR_PASTS
)
_WORD_RUN = re.compile(r"\w+")
_PAST_PARTICIPLE = re.compile(r"(?<![-\w])(\w+\s+)?(\w{2,}ed)\b")  # "died", "fled", "closed"


def is_dated_caption(text: str) -> bool:
    """A wire photo caption run into the story: a main clause in the present tense before
    the full date the picture was taken ("Italian Premier Silvio Berlusconi sits in the
    lower chamber ..., in Rome, Friday, Oct. 14, 2011.", "People pray before placing
    flowers ..., Tuesday, April 11, 2017.").

    Why: 11 of 250 Multi-News summaries quoted such a caption as a report's claim. News
    sentences that give a weekday, a day and a year tell what happened, in the past
    ("Reid checked herself in on Tuesday, December 9, 2008."), or what was said; a caption
    says what the picture shows, in the present."""
    date = _CAPTION_DATE.search(text)
    if date is None or not _AFTER_THE_DATE.match(text, date.end()):
        return False  # "The trial begins Monday, Jan. 9, 2012, in federal court": a schedule
    head = text[: date.start()]
    main = head[: m.start()] if (m := _SUBORDINATE.search(head)) else head
    if any(word.lower() in _NEWS_WORDS for word in _WORD_RUN.findall(main)):
        return False
    return not any(
        (before or "").strip().lower() not in _DETERMINERS
        for before, _ in _PAST_PARTICIPLE.findall(main)
    )


# Words that make a short line a sentence rather than a caption: auxiliaries, frequent
# irregular verbs, and subjects ("they plan ..."); regular verbs show by their ending.
_VERB_WORDS = (
    frozenset(
        """is are was were be been being am has have had will would can could may might must
        shall should do does did said says say told make take go goes come give find left
        hit put set cut shown let read spread cost hurt shut quit burst beat split laid lay
        swung wore stuck thrown fed lit meant understood bore lent sped spun agree disagree
        want need plan die remain continue expect believe hope fear know think seem
        appear""".split()
    )
    | IRREGULAR_PASTS
)
_SUBJECTS = frozenset("i you he she we they it there here what who that".split())
_PLURALS = frozenset("men women people children police".split())  # "Both men deny ..."
_CAPTION_CUES = frozenset("the of at in after from with during on".split())  # English lines
_LINKS = frozenset("to and or for by as than but nor so yet".split())  # "Offers to Testify"
_DETERMINERS = frozenset("the a an its his her their our this these those".split())
_CAPTION_WORDS = 9
_LINE_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def is_caption(line: str) -> bool:
    """A short line of its own with no verb: a photo caption or a profile's label ("The
    intended route of Flight 447.", "HMS Cornwall at Zeebrugge in 2006.", "Hasib Hussain,
    18, from Leeds."), which closes with a full stop like a sentence but states nothing.

    Why: a summary opened on "The intended route of Flight 447." With no part-of-speech
    model, a word that may be a verb is a known one, a subject pronoun, a negation, an
    adverb in -ly before another word, or a lower-case word in -s or -ed that no
    determiner precedes ("The intended route" is not a verb), or a lower-case word after a
    plural ("Witnesses describe"). Only English lines in Latin script are judged (a line
    with none of "the", "of", "at", "in", ... is left alone)."""
    words = _LINE_WORD.findall(line.replace("’", "'"))
    dated = {m.lower() for m in _DATED_MONTH.findall(line)}  # "July 7, 2005", not "This March"
    if len(words) > _CAPTION_WORDS or not _CAPTION_CUES.intersection(w.lower() for w in words):
        return False  # long, or not English: the verb test below knows English only
    if any(c.isalpha() and not unicodedata.name(c, "").startswith("LATIN") for c in line):
        return False  # another script ("Полиция задержала ...")
    for i, word in enumerate(words):
        lower = word.lower()
        if lower in _VERB_WORDS or lower.removesuffix("'s") in _SUBJECTS:
            return False
        before = words[i - 1].lower() if i else ""
        if word.islower() and (before in _PLURALS or (before.endswith("s") and len(before) > 3)):
            if lower not in _CAPTION_CUES | _DETERMINERS | _LINKS:
                return False  # a plural subject's verb: "Officials estimate", "men deny"
        if lower.endswith("n't") or (
            lower.endswith("ly") and len(lower) > 4 and i + 1 < len(words)
        ):
            return False
        if i and word.islower() and len(word) > 3 and lower.endswith(("ed", "s")):
            before = _before_a_date(words, i, dated)
            if before not in _DETERMINERS:  # "The intended route" is no verb
                return False
    return True


# a month's name, whole or cut short ("jan", "january", "sept", "september"), as the rules
# that tell a date from a figure or a headline from a dateline read it (case left to them)
MONTH_WORD = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATED_MONTH = re.compile(rf"\b({MONTH_WORD})\.?\s+\d", re.IGNORECASE)


def _before_a_date(words: list[str], index: int, dated: set[str]) -> str:
    """The word before `words[index]`, lower-cased, looking past the month of a date (a
    month the line writes with a day, `dated`): in "the July 7, 2005 bombings" it is "the"
    (the figures are no words here), so "bombings" is a noun; in "This March marks ..." it
    is "march", and "marks" is the verb."""
    back = index - 1
    while back > 0 and words[back].lower() in dated:
        back -= 1
    return words[back].lower() if back >= 0 else ""


def strip_paragraph_prefix(paragraph: str) -> str:
    """The paragraph without list markers, run-in date lines and capitalised datelines."""
    for _ in range(3):  # "Saturday, January 15, 2005 TEXAS, US – A court ..." has two
        stripped = _PARAGRAPH_PREFIX.sub("", paragraph, count=1)
        if stripped == paragraph:
            break
        paragraph = stripped
    return paragraph


# A web page's label run into the sentence after it ("LIVE BLOG On Monday, William Hague ...").
_LABEL = re.compile(r"^LIVE\s+(?:BLOG|UPDATES?|COVERAGE):?\s+(?=[A-Z])")
# A first word set in capitals, as print sets an article's first word ("THE identity of ...").
_CAPITALS_OPENING = re.compile(
    r"^(THE|A|AN|IN|ON|AT|AS|FOR|IF|WHEN|AFTER|BEFORE|WHILE|SINCE|THIS|THAT|THESE|THOSE|HE|SHE"
    r"|THEY|WE|IT'S|ONE|TWO|THREE)(?=\s+[a-z])"
)
# A pointer to the page's layout run into a sentence ("... video of the leopard (see below).").
_PAGE_POINTER = re.compile(r"(?<!\s)\s*\((?:see|video|photos?|pictured)\s+(?:below|above)\)", re.I)


def _without_page_styling(piece: str) -> str:
    """A sentence without a web page's label run into it or a pointer to the page's layout
    ("(see below)"), and with its first word in sentence case when print set it in
    capitals."""
    piece = _PAGE_POINTER.sub("", _LABEL.sub("", piece))
    return _CAPITALS_OPENING.sub(lambda m: m.group(1).capitalize(), piece)


def split_sentences(article_id: str, text: str) -> list[Sentence]:
    """All story sentences of an article, in order."""
    return list(_split_article(article_id, text))


@lru_cache(maxsize=256)
def _split_article(article_id: str, text: str) -> tuple[Sentence, ...]:
    # remembered: the pipeline, the summarizer and the verifier each split every article
    sentences: list[Sentence] = []
    for paragraph in text.split("\n"):
        pieces = split_paragraph(strip_paragraph_prefix(paragraph.strip()))
        if len(pieces) == 1 and is_caption(pieces[0]):
            continue
        for piece, quoted in zip(pieces, _inside_a_quotation(pieces), strict=True):
            piece = _without_page_styling(piece)
            if is_story_sentence(piece):
                sentences.append(Sentence(article_id, len(sentences), piece, quoted))
    return tuple(sentences)


INCH_MARK = re.compile(r'(?<=\d)"')  # 6'2", a 12" pipe: an inch mark, no quotation


def _inside_a_quotation(pieces: list[str]) -> list[bool]:
    """For each sentence of a paragraph, whether a quotation opened by a sentence before it
    is still open where it starts.

    Why: a long quotation runs over several sentences, and only the first shows the
    opening mark ('“I have talked to a few activists. ... Ultimately, the conversation is
    going in a positive way. ...'); the ones after it read as plain statements, and a
    summary stated a speaker's opinion in its own voice. Curly quotes say which way they
    turn; a straight one turns the state over."""
    inside = False
    marks: list[bool] = []
    for piece in pieces:
        marks.append(inside)
        opened = piece.count("“") - piece.count("”")
        if opened:
            inside = opened > 0
        elif (piece.count('"') - len(INCH_MARK.findall(piece))) % 2:
            inside = not inside
    return marks
