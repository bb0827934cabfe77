"""Article text cleaning: drop the page furniture that scrapers leave in the story.

In: raw article text. Out: the same story with boilerplate lines removed and
whitespace normalised. Lines of the story itself are never rewritten; a line is
either kept whole or dropped whole, so citations still point at real text. The one
exception is a reference marker glued to a word ("by five percent.[12] Council ..."):
it is cut, or a summary would show "[12]" as if it cited a source of the digest, and
the sentence would run into the next.
"""

from __future__ import annotations

import re
import unicodedata

from service.pipeline.markup import without_markup

# Whole lines that are page furniture, not story: photo credits, cross-links,
# share/subscribe prompts, tweet embeds, bylines glued on by scrapers.
_BOILERPLATE_LINE = re.compile(
    r"""^\s*(?:
        \(?\s*photo\s*:.*                                  # (Photo : ... Getty Images)
      | (?:photo|image|picture)\s*(?:credit|courtesy|by)\b.*
      | .*\b(?:getty\s+images|via\s+reuters|ap\s+photo|afp\s+via)\b.{0,40}\)?\s*$
      | (?:read|see)\s+(?:also|more)\s*:.*
      | related(?:\s+(?:article|story|stories|coverage|content|reading|news|posts?))?\s*:.*
      | (?:also\s+read|more\s+from|recommended|trending|editor'?s\s+picks?)\s*:.*
      | (?:share|tweet|email|print)\s+(?:this(?:\s+(?:article|story|page))?|on\s+\w+|via\s+\w+)\s*:?\s*$
      | (?:click|tap)\s+here\b.*
      | (?:subscribe|sign\s+up|follow\s+us|join\s+our|download\s+our\s+app)\b.*
      | (?:advertisement|sponsored(?:\s+content)?|ad)\s*$
      | pic\.twitter\.com/\S+.*
      | .*[—-]\s*[^()]{1,60}\(@\w+\)\s+\w+\s+\d{1,2},\s+\d{4}\s*$       # tweet embed signature
      | (?:©|\(c\)\s*\d{4}|copyright\s+(?:©\s*)?\d{4}).{0,120}$
      | .{0,120}\ball\s+rights\s+reserved\.?\s*$
      | (?:this\s+article|this\s+story)\s+(?:was\s+)?(?:originally\s+)?(?:appeared|published)\b.*
      | (?:watch|listen)\s*:.*
      | (?:twitter|facebook|instagram|linkedin|whatsapp)(?:\s*[|/·,]\s*\w+)*\s*$
      | facebook\s+twitter\s+(?:pinterest|email|whatsapp)\b.*           # share bar + photo credit
      | (?:advertisement\s+)?continue\s+reading\s+the\s+main\s+story.*
      | newsletter\s+sign\s*up\b.*
      | breaking\s+news\s+emails?\b.*
      | media\s+playback\s+is\s+unsupported\b.*
      | image\s+(?:copyright|caption)\b.*
      | please\s+enable\s+javascript\b.*
      | (?:tweet\s+with|add)\s+a\s+location(?:\s+to\s+your\s+tweets)?\s*$
      | (?:you\s+can\s+add\s+location\s+information|when\s+you\s+tweet\s+with\s+a\s+location)\b.*
      | learn\s+more\s*$
      | .*\balexa\s+internet\s+has\s+been\s+donating\b.*               # web-archive notices
      | these\s+crawls\s+are\s+part\s+of\s+an\s+effort\b.*
      | .{0,80}\bcontributed\s+(?:reporting\s+)?to\s+this\s+(?:report|article|story)\.?\s*$
      | .{0,60}\bcontributed\s+reporting\b.{0,40}$                  # "Reuters contributed reporting."
      | follow\s+.{1,60}\s+on\s+(?:twitter|facebook|instagram|x)\b.*   # author's social links
      | [^:]{1,80}:\s*(?:https?://|www\.)\S+\s*$                      # "Mike's blog post: http..."
      | (?:[—–-]\s*)?(?:last\s+)?updated\s*(?:at|on|:)?\s*\d{1,2}[:.]\d{2}.{0,30}$
      | (?:\w+\s+)?file\s+photo\b.*                                   # caption credits
      | this\s+(?:article|story|content)\s+is\s+(?:only\s+)?(?:available\s+)?(?:for|to)\s+
        (?:paying\s+)?(?:subscribers|members)\b.*                         # paywalls
      | already\s+a\s+(?:subscriber|member)\b.*
      | (?:get|enjoy|unlock)\s+(?:unlimited|full|digital|premium)\s+access\s+(?:for|from)\s+
        (?:just\s+|only\s+)?(?:[$€£]\s?\d|\d+(?:[.,]\d+)?\s*(?:euros?|dollars?|pounds?)\b).*
      | (?:(?:(?:just|only|from)\s+)?[$€£]\s?\d|(?:digital\s+)?(?:subscription|membership)\s*:
        |free\s+trial\b|become\s+a\s+(?:member|subscriber)\b|start\s+your\s+(?:free\s+)?trial\b
        |support\s+(?:independent|quality|our)\s+journalism\b)
        .{0,140}\bcancel\s+any\s?time\.?\s*$                         # a price, then "Cancel anytime."
      | .{0,80}\b(?:subscribe|log\s*in|sign\s+in)\b.{0,60}\b(?:keep|continue)\s+reading\b.*
      | the\s+post\s+.{1,200}\s+appeared\s+first\s+on\s+.{1,100}$      # WordPress feed footer
      | we\s+value\s+your\s+privacy\b.*                                  # consent walls
      | .*\bwe\s+and\s+our\s+(?:\d+\s+)?(?:advertising\s+)?partners\b.*
      | (?:we|this\s+(?:site|website))\s+uses?\s+cookies\b.*
      | (?:accept|reject)\s+all(?:\s+cookies)?\s*$
      | [^\w]+$                                                          # rules and dashes only
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# Wikipedia-style reference markers glued to a word or a stop and followed by a space or
# a stop: "percent.[12] Council", "voted[3] for", "[a]", "[citation needed]". Not a bracket
# after a space ("Article [5]"), a digit ("Section 2[a]", "3[1] after penalties"), or an
# opening quote, nor one a letter follows: an editor's "[T]he decision", "“[w]e will",
# "H[2]O".
_REFERENCE_MARK = re.compile(
    r"(?:(?<=[.,;:!?\"'”’)%])|(?<=[^\W\d_]))"
    r"(?:\[(?:\d{1,3}|[a-z]|(?i:citation needed|note \d{1,3}|nb \d{1,3}))\])+"
    r"(?=[\s.,;:!?\"”’)—–]|$)"
)
_URL_ONLY = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$", re.IGNORECASE)
# A byline on a line of its own: "By Sarah Fitzmaurice", "By Dominic Casciani, BBC Home
# Affairs correspondent" (names capitalised: "By Friday, Congress had ..." is a sentence).
_NAME = r"[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}"
_ROLE = r"(?:\s+(?:[A-Z][\w.'’&-]*|of|the|for|and|correspondent|reporter|editor|writer|staff))*"
_BYLINE = re.compile(rf"By\s+{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*(?:\s*[,|–—-]\s*{_NAME}{_ROLE})?")
# The same run into the first sentence with the date, as a short page's text comes out of
# the extractor: "By Jane Reporter, Short Times 2025-03-04 The footpath ... reopened".
_BYLINE_GLUED = re.compile(
    rf"^{_BYLINE.pattern}\s+(?:\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{1,2}}:\d{{2}}\S*)?"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},\s+\d{4})"
    r"\s+(?=[A-Z\"“])"
)
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]+")
_FULLWIDTH_DECIMAL = re.compile(r"(?<=\d)\uff0e(?=\d)")
# fullwidth digits and Latin letters as ASCII ("２０２４年" is "2024年"), not the fullwidth
# punctuation Chinese and Japanese write ("，" stays)
_FULLWIDTH = {
    chr(code): chr(code - 0xFEE0)
    for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(start, end + 1)
}
_COMPATIBILITY = str.maketrans(
    {**_FULLWIDTH, "\u2026": "...", "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl",
     "\ufb03": "ffi", "\ufb04": "ffl", "\u2011": "-", "\ufeff": None,
     "\u2028": "\n", "\u2029": "\n"}
)  # fmt: skip
# terminal colour codes, C0 and C1 controls but tab and line ends (a NUL cannot even be
# stored in PostgreSQL)
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WORD = re.compile(r"\w+")


def plain_words(text: str) -> str:
    """Lower-cased words joined by single spaces: two texts that differ only in case,
    punctuation or spacing compare equal."""
    return " ".join(_WORD.findall(text.lower()))


def is_boilerplate(line: str) -> bool:
    """True for a line that is page furniture rather than part of the story."""
    stripped = line.strip()
    if not stripped:
        return False
    return bool(
        _BOILERPLATE_LINE.match(stripped)
        or _URL_ONLY.match(stripped)
        or _BYLINE.fullmatch(stripped)
    )


def normalise_unicode(text: str) -> str:
    """NFC, control characters out, and only the compatibility forms the rules read
    ("…" as "...", ligatures, odd spaces). Not NFKC: it rewrote what sources wrote
    ("5×10⁶ euros" became "5×106", "300 km²" "300 km2", "½" "1⁄2", a Chinese "，" a ",")."""
    text = unicodedata.normalize("NFC", text).translate(_COMPATIBILITY)
    text = _FULLWIDTH_DECIMAL.sub(".", text)  # "３．５" is 3.5, not a sentence's end
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def clean_text(text: str, *, markup: bool = True) -> str:
    """Normalise Unicode and whitespace, read HTML as text (unless `markup` is False: text
    a page extractor already made plain, where "&lt;script&gt;" is what the page says),
    and drop boilerplate lines; paragraphs stay apart."""
    text = normalise_unicode(text)
    if markup:
        text = normalise_unicode(without_markup(text))  # entities may decode to anything
    kept: list[str] = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", _REFERENCE_MARK.sub("", line)).strip()
        line = _BYLINE_GLUED.sub("", line)
        if is_boilerplate(line):
            continue
        if not line and (not kept or not kept[-1]):
            continue  # collapse runs of blank lines
        kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)
