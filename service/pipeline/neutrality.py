"""Neutral voice: find loaded wording, reword it where a safe neutral word exists.

In: a sentence. Out: the loaded terms it uses, or a reworded sentence; whether it is the
writer's own reading of events (`is_commentary`) or summing-up (`sums_up`); the sentence
without a filler opener ("In a recent development, ..."). The term
list is `service/resources/loaded_terms.txt` (our own, built by hand from the
dev data); words inside quotation marks are still counted, because a summary
quoting "the dictator" still puts the word in front of the reader, but never
reworded (that would misquote): such a sentence is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from service.pipeline.entities import named_entities

# Words that open a sentence which cannot stand first: the reader has no antecedent.
DANGLING_OPENERS = frozenset(
    """he she it they this these those his her its their him them that such
    however but also meanwhile moreover furthermore still yet and so then instead
    additionally nevertheless nonetheless besides thus hence therefore later
    likewise similarly otherwise indeed here plus""".split()
) | {
    # phrases are matched whole, not by their first word ("the", "at", "in")
    "the latter",
    "the former",
    "at the time",
    "at the same time",
    "in addition",
    "either way",
    "as a result",
    "in response",
    "by then",
    "even so",
    "that said",
    "in turn",
    "for his part",
    "for her part",
    "for their part",
}
# Openers that need the sentence before only as a phrase of their own, with its comma: "In
# fact, ..." but "In fact-checking ...", "After all the votes were counted, ...".
_COMMA_OPENERS = re.compile(
    r"^(?:on the other hand|by contrast|in contrast|in fact|after all|despite this"
    r"|because of this|as such|for instance|for example),",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LoadedTerm:
    term: str
    replacement: str | None  # "" (written "(omit)" in the list): left out before a name
    pattern: re.Pattern[str]


OMIT = "(omit)"  # in the list: left out before a name ("the so-called Bali Roadmap")


def _last_word_forms(word: str) -> str:
    """`word` and its simple inflections: plural, -ly, -ed, -ing; the consonant doubled
    ("slam": "slammed", "slamming"), the "e" dropped ("rebuke": "rebuking"). Not "y" to
    "ies": "enemies" ("had no enemies", "political enemies") mostly reports."""
    forms = [re.escape(word) + "(?:s|es|ly|ed|d|ing)?"]
    if re.search(r"(?:^|[^aeiou])[aeiou][bdgmnprt]$", word, re.IGNORECASE) and len(word) > 2:
        forms.append(re.escape(word + word[-1]) + "(?:ed|ing)")
    if re.search(r"[^e]e$", word, re.IGNORECASE):
        forms.append(re.escape(word[:-1]) + "ing")
    return "(?:" + "|".join(forms) + ")" if len(forms) > 1 else forms[0]


# The second half of a compound that keeps a reworded term's sense: "regime-held areas" ->
# "government-held areas"; only for a term with a rewording ("enemy-held" is a military
# term, not a label).
_COMPOUND_HEAD = (
    r"(?=-(?:backed|held|controlled|run|led|linked|allied|aligned|sponsored|affiliated)\b)"
)


def _compile(*terms: str, compounds: bool = False) -> re.Pattern[str]:
    """Whole-word matcher of any of `terms`, with simple inflections (plural, -ly, -ed,
    -ing) on the last word; a hyphen and a space are the same ("so called", "far right",
    "witch-hunt"). With `compounds`, also as the first half of a compound ("regime-held")."""
    bodies = []
    for term in terms:
        words = re.split(r"[\s-]+", term)
        bodies.append(r"[\s-]+".join([*map(re.escape, words[:-1]), _last_word_forms(words[-1])]))
    alternatives = "|".join(bodies)
    end = rf"(?:(?![\w-])|{_COMPOUND_HEAD})" if compounds else r"(?![\w-])"
    return re.compile(rf"(?<![\w-])(?:{alternatives}){end}", re.IGNORECASE)


@lru_cache(maxsize=1)
def _any_loaded_term() -> re.Pattern[str]:
    """One pattern for the whole list. Why: most sentences use no loaded term, and one
    search is ~100x cheaper than one per term (it was a third of a digest's CPU time)."""
    return _compile(*(entry.term for entry in loaded_terms()), compounds=True)


@lru_cache(maxsize=1)
def loaded_terms() -> tuple[LoadedTerm, ...]:
    """The shipped list of loaded terms, longest first so phrases win over their words."""
    text = resources.files("service.resources").joinpath("loaded_terms.txt").read_text("utf-8")
    entries: list[LoadedTerm] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        term, _, replacement = (part.strip() for part in line.partition("=>"))
        reworded = "" if replacement == OMIT else replacement or None
        entries.append(LoadedTerm(term, reworded, _compile(term, compounds=bool(reworded))))
    return tuple(sorted(entries, key=lambda e: -len(e.term)))


# A word in its literal or technical sense, not a loaded one. A critic's verb: an explosion
# ("two blasts ripped through", "said blasts and shooting could be heard"), a crash or a
# storm ("slammed into a wall", "counties slammed by Hurricane Michael", "a bomb cyclone
# slams the East Coast"), a launch ("blasted off"), a door, a tennis title or a quarry
# ("slammed the door", "22 Grand Slams", "crews blasted rock"). "Trump blasts Democrats"
# and "Granholm slammed Senate Republicans" stay loaded; a bombing story had lost every
# sentence that counted its blasts. "Regime" as a system of rules ("its sanctions regime",
# "a training regime", "the regime of the river", "regime change": reworded, they had read
# "sanctions government"); "sweeping" the verb ("cold air sweeping across the region" had
# read "broad across"); "scheme" as a programme or a plan a court names ("the pension
# scheme", "a Ponzi scheme"); shrapnel or a storm that ripped into something; a roof that
# caved in; "free radicals"; a direction ("moving too far left", "pictured at far right");
# "ram" outside a bill rammed through (masked on its own, below).
_LITERAL_SENSE = re.compile(
    r"""\b(?:slams?|slammed|slamming|blasts?|blasted|blasting)\s+(?:head-on\s+)?(?:into|against
    |through|onto|off|open|apart|shut|down|across|past)\b
    |\b(?:slams?|slammed|slamming)\s+by\s+(?:(?:the|a|an)\s+)?(?:[\w-]+\s+)?(?:hurricane|storm
    |typhoon|cyclone|tornado|blizzard|snow|winds?|rains?|waves?|flood(?:s|ing|waters)?|quake
    |earthquake|tsunami|winter|cold|heat)\b
    |\b(?:the|these|those|two|three|four|five|several|multiple|twin|bomb|more|both|of|from
    |after|\d+)\s+blasts\b
    |\bblasts\s+(?:were|was|are|had|have|could|killed|hit|rocked|ripped|shook|injured|left
    |destroyed|damaged|struck|went|echoed|tore|occurred|targeted|of|and\s+(?:\w+\s+)?(?:gunfire
    |shooting|explosions|fire))\b
    |\b(?:storm|hurricane|cyclone|typhoon|snow|winter|blizzard|tornado|flood|flooding|winds?
    |rain|waves?|quake|earthquake|tsunami)[’'s]*\s+(?:slams|slammed)\b
    |\bgrand[\s-]+slams?\b|\bslam[\s-]*dunk(?:s|ed|ing)?\b|\bpoetry\s+slams?\b
    |\b(?:slam|slams|slammed|slamming)\s+(?:on\s+)?(?:the|a|an|his|her|their|its|my)\s+
    (?:[\w-]+\s+)?(?:doors?|brakes|phones?|receiver|gates?|lids?|fists?|hands?|balls?|trunk
    |hood|windows?)\b
    |\b(?:slam|slams|slammed|slamming)\s+(?:(?:a|an|his|her|their|its|the|two|three|\d+)\s+)?
    (?:[\w-]+\s+){0,2}(?:home\s+runs?|homers?|three-pointers?|dunks?|goals?|serves?|aces?)\b
    |\bslam\s+poet(?:ry|s)?\b
    |\b(?:slam|slams|slammed|slamming)\s+(?:him|her|them|it|(?:the|a)\s+[\w-]+)\s+(?:to|into
    |onto|against|on)\s+(?:the\s+|a\s+)?(?:ground|floor|pavement|wall|mat|table|canvas|hood)\b
    |\b(?:blast|blasts|blasted|blasting)\s+(?:(?:a|the|through|away|out)\s+)?(?:rocks?|holes?
    |tunnels?|music|songs?|horns?|sirens?|water|sand|debris|mud|rubble|hot\s+air|cold\s+air)\b
    |\b(?:blast|blasts|blasted|blasting)\s+(?:[\w-]+\s+){1,3}with\s+(?:a\s+|their\s+|its\s+)?
    (?:water|tear\s+gas|pepper|fire\s+hoses?|hoses?|shotguns?|guns?|bullets|sand)\b
    |\bblasts?\s+from\s+the\s+past\b
    |\b(?:bullets?|shrapnel|fires?|flames?|blasts?|explosions?|bombs?|storms?|winds?|tornado(?:es)?
    |debris|missiles?|rockets?|shells?|teeth|claws?|jaws?|waves?|trucks?|cars?|bus|buses|vans?
    |vehicles?|lorry|lorries|trains?|suvs?|planes?)\s+(?:[\w'’-]+\s+){0,4}?(?:ripped|rips
    |ripping)\s+into\b
    |\b(?:tax|taxation|sanctions?|regulatory|training|exercise|fitness|workout|diet|dietary
    |treatment|drug|dosing|chemotherapy|chemo|medication|antibiotic|vaccination|flow|climate
    |rainfall|temperature|weather|fire|trade|tariff|customs|inspections?|verification
    |safeguards?|non-?proliferation|export[\s-]+controls?|legal|liability|pension|accounting
    |reporting|licensing|price|currency|exchange[\s-]+rates?|monetary|fiscal|cease-?fire|visa
    |quarantine|testing|investment|capital|privacy|data[\s-]+protection|immigration|asylum
    |insolvency|bankruptcy|planning|sentencing|feeding|sleep|skin[\s-]?care|screening|lockdown
    |isolation|copyright|patent|disclosure|supervisory|compliance)[\s-]+regimes?\b
    |\bregimes?[\s-]+change\b
    |\bregimes?\s+of\s+(?:(?:the|a|an|its|their|daily|weekly|regular|strict|intense|intensive)\s+)*
    (?:rivers?|flows?|tides?|winds?|rain(?:fall)?|temperatures?|seas?|lakes?|streams?|currents?
    |floods?|monsoons?|exercises?|training|tests?|testing|treatments?|drugs?|pills?|checks?
    |controls?|sanctions?|tax(?:es|ation)?|tariffs?|inspections?|diet|medication)\b
    |\bsweeping\s+(?:across|through|over|into|along|away|up|aside|out|past|down|towards?|the|a|an
    |its|his|her|their|our|this|that|these|those|in|on|from|by|back|around|onto|under|clean)\b
    |\b(?:pension|ponzi|pyramid|fraud|bribery|kickback|phishing|laundering|colou?r|rhyme
    |ticketing|insurance|loan|pilot|compensation|avoidance|evasion|investment|payment|rewards?
    |loyalty|bonus|benefits?|welfare|visa|lottery|recycling|deposit|furlough|savings?|subsidy
    |voucher|incentive|naming|numbering|classification|encryption|coding|rating|grading|trading
    |licensing|apprenticeship|vaccination|screening|testing|grant|retention|employment|housing
    |mortgage|energy|carbon|emissions)[\s-]+schemes?\b
    |\bscheme\s+of\s+things\b|\bschemes?\s+to\s+defraud\b
    |\bcaved\s+in\b(?!\s+to\b)
    |\bfree\s+radicals\b
    |\b(?:too|so|very|how|as|further|farther)\s+far\s+(?:left|right)\b
    |\b(?:at|from)\s+(?:the\s+)?far\s+(?:left|right)\b(?![\s-]+(?:wing|party|parties|groups?))
    |\bfar\s+(?:left|right)\s+(?:corner|side|lane|edge|column|end|field|hand)\b""",
    re.IGNORECASE | re.VERBOSE,
)
# "ram" is loaded only for a bill forced through a vote ("Republicans rammed through the
# tax bill", "rammed the bill through the Senate", "the bill was rammed through"); a car
# that rammed a gate, the Rams and a computer's RAM are no one's judgement.
_LEGISLATION = (
    r"(?:bills?|legislation|laws?|measures?|package|budget|amendments?|reforms?|changes|rules?"
    r"|nominations?|nominees?|votes?|treaty|deal|agenda|overhaul|act)"
)
_CHAMBER = r"(?-i:House|Senate|Congress|Parliament|[Ll]egislature|[Aa]ssembly|[Cc]ommittee)"
_DETERMINER = r"(?:(?:the|a|an|his|her|their|its|this|that)\s+)?"
_RAM = re.compile(r"\b(?:ram|rams|rammed|ramming)\b", re.IGNORECASE)
_RAM_A_BILL = re.compile(
    rf"\b(?P<active>ram|rams|rammed|ramming)\s+(?:through\s+{_DETERMINER}(?:[\w-]+\s+){{0,2}}"
    rf"(?:{_LEGISLATION}|{_CHAMBER})\b|{_DETERMINER}(?:[\w-]+\s+){{0,2}}{_LEGISLATION}\s+"
    rf"through\b|(?:it|them)\s+through\s+(?:the\s+)?{_CHAMBER})"
    rf"|\b{_LEGISLATION}\s+(?:was|were|is|are|been|being|got|get)\s+(?P<passive>rammed)"
    r"\s+through\b",
    re.IGNORECASE,
)


def _literal_senses_masked(text: str) -> str:
    """The text with words in their literal sense blanked out (same length, so positions
    still match the text)."""
    masked = _LITERAL_SENSE.sub(lambda m: " " * len(m.group(0)), text)
    if _RAM.search(masked):
        bills = {
            m.start("active") if m["active"] else m.start("passive")
            for m in _RAM_A_BILL.finditer(masked)
        }
        masked = _RAM.sub(lambda m: m[0] if m.start() in bills else " " * len(m[0]), masked)
    return masked


def find_loaded_terms(text: str) -> list[str]:
    """The loaded terms a text uses (as written in the list)."""
    if not _any_loaded_term().search(text):
        return []
    text = _literal_senses_masked(text)
    return [entry.term for entry in loaded_terms() if entry.pattern.search(text)]


def _match_case(replacement: str, original: str) -> str:
    if len(original) > 1 and original.isupper():
        return replacement.upper()  # a headline in capitals: "VALDONIA'S LEADER RESIGNS"
    return replacement[:1].upper() + replacement[1:] if original[:1].isupper() else replacement


def _inflected(replacement: str, term: str, written: str) -> str | None:
    """`replacement` (written for `term`) in the form `written` takes: "dictators" ->
    "leaders", "slammed" -> "criticized", "slamming" -> "criticizing". None for an adverb
    ("hugely" is not "bigly"): no rewording fits it."""
    base = re.split(r"[\s-]+", term)[-1].lower()
    got = re.split(r"[\s-]+", written)[-1].lower()
    if got == base or not replacement:
        return replacement
    if got.startswith(base + base[-1]) and got not in (base + "s", base + "es"):
        ending = got[len(base) + 1 :]  # "slamming"
    elif got.startswith(base):
        ending = got[len(base) :]
    elif base.endswith("e") and got == base[:-1] + "ing":
        ending = "ing"  # "rebuking"
    else:
        return None
    head, _, word = replacement.rpartition(" ")
    head = head + " " if head else ""
    if ending in ("s", "es"):
        if re.search(r"(?:s|x|z|ch|sh)$", word):
            return head + word + "es"
        if re.search(r"[^aeiou]y$", word):
            return head + word[:-1] + "ies"
        return head + word + "s"
    if ending in ("ed", "d"):
        if word.endswith("e"):
            return head + word + "d"
        return head + (word[:-1] + "ied" if re.search(r"[^aeiou]y$", word) else word + "ed")
    if ending == "ing":
        return head + (word[:-1] if re.search(r"[^e]e$", word) else word) + "ing"
    return None


# Quotations, also one left open (it runs on into the next paragraph) and single quotes as
# headlines use them ("Trump hails 'huge' win"); an apostrophe ("workers'", "it's") is none.
_QUOTATION = re.compile(r""""[^"]*(?:"|$)|“[^”]*(?:”|$)|‘[^’]*’|(?<![\w])'[^']+'(?![\w])""")
_ON = (["of"], ["to"])  # "As a result of ...", "In response to ...": the phrase goes on


def neutralise(text: str) -> str | None:
    """The text with every loaded term reworded, or None when a term has no safe rewording,
    stands inside a quotation (rewording a quotation would misquote its speaker: "a huge
    day" is not what anyone said as "a large day") or is the word someone used for someone
    ("protesters called him a dictator" is not "called him a leader")."""
    if not _any_loaded_term().search(text):
        return text
    masked = _literal_senses_masked(text)
    for entry in loaded_terms():
        matches = list(entry.pattern.finditer(masked))
        if not matches:
            continue
        if entry.replacement is None or _in_a_quotation(matches, text):
            return None
        if _names_another_government(matches, text) or _is_someones_word(matches, text):
            return None
        if _is_a_predicate_label(matches, text):
            return None
        for match in reversed(matches):  # from the end: earlier positions stay valid
            written = text[match.start() : match.end()]
            reworded = _inflected(entry.replacement, entry.term, written)
            if reworded is None or (
                reworded.endswith("ing") and _AN_ADJECTIVE.search(_just_before(text, match))
            ):
                return None
            if not reworded:
                shorter = _left_out(text, match.start(), match.end())
                if shorter is None:
                    return None
                text = shorter
                continue
            text = text[: match.start()] + _match_case(reworded, written) + text[match.end() :]
        masked = _literal_senses_masked(text)
    return text


# a determiner before a verb's -ing form: it is used as an adjective ("an excoriating
# report" is not "a criticizing report", "a slamming review" not "a criticizing review")
_AN_ADJECTIVE = re.compile(
    r"\b(?:a|an|the|his|her|its|their|this|that|these|those|most|more|very)\s+$", re.IGNORECASE
)
_NEAR = 60  # characters before a term that the checks of its context read


def _just_before(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - _NEAR) : match.start()]


_COPULA_BEFORE = re.compile(r"\b(?:is|was|are|were|be|been|being)\s+$", re.IGNORECASE)
_ARTICLE_BEFORE = re.compile(r"\b(?P<article>an?)\s+$", re.IGNORECASE)
# A word whose first sound its first letter does not tell: "a European", "a One China
# policy", "a Union", "a Usual Suspects", "an Hour", "a Hotel" (had read "an European").
_SOUND_UNTOLD = re.compile(r"(?:eu|one|once|u|h)", re.IGNORECASE)  # u: Uni-, Use-, Usu-


def _left_out(text: str, start: int, end: int) -> str | None:
    """The text without the word at `start`..`end` when a name follows it ("the so-called
    Bali Roadmap" -> "the Bali Roadmap"), "a"/"an" fitted to the name; None before anything
    else: "the so-called race hustlers" would state the label the word kept at a distance,
    'the so-called "experts"' would keep the scare quotes, and "the hill is so called
    because ..." does not stand before a word at all."""
    before, after = text[:start], text[end:]
    following = re.match(r"\s+(?P<word>[A-Z][\w'’.-]*)", after)
    if not following or _COPULA_BEFORE.search(before[-_NEAR:]):
        return None
    word = following["word"]
    article = _ARTICLE_BEFORE.search(before, max(0, len(before) - _NEAR))
    if article:
        if word.isupper() or _SOUND_UNTOLD.match(word):
            return None  # "a Union", "a European", "an NGO": not told by the letter
        wanted = "an" if word[0] in "AEIO" else "a"  # a capital: `following` asks for one
        if article["article"][:1].isupper():
            wanted = wanted.capitalize()
        before = before[: article.start("article")] + wanted + before[article.end("article") :]
    return before + after[following.start("word") :]


# A verb that reports the word someone used for someone or something: "called him a
# dictator", "labelled them terrorists", "described the government as a regime". Reworded,
# the sentence would misreport what they said ("called him a leader"). Not "called for",
# "called on", "called ... home", nor "so-called". A verb with "as" (or "to", "with") counts
# in its verb forms only, with "as" at most ten words on in its clause ("described the
# government of President Nicolas Maduro as a regime"): "as" the conjunction follows nouns
# ("The painting was sold as the regime collapsed", "Viewers watched as the crowd cheered"
# had been left out) and clauses ("described how the army fired as the regime fell").
# "Cast", "paint", "view" and "regard", mostly a vote, a painting, a view or "regarding" in
# news, count only with an object pronoun ("painted him as", "viewed them as") or right
# before "as" ("widely regarded as"): "The vote was cast as the regime massed troops" is no naming.
# Bounded, the search is linear: an unbounded lazy scan for "as" had gone on to the
# sentence's end from every verb (quadratic: 5.8 s for "described " 8,000 times).
_WITHIN_A_CLAUSE = r"(?:\s+[^\s,;:()\[\]—–]+){0,10}?\s+"
_NAMING = re.compile(
    r"""(?<!so-)(?<!so\s)\b(?:call(?:s|ed|ing)?(?!\s+(?:for|on|off|in|up|out|back|upon|into|to
    |at|after|over|around)\b)(?!(?:\s+[\w'’-]+){1,6}\s+home\b)
    |label(?:s|ed|ing|led|ling)?|brand(?:s|ed|ing)?|dub(?:s|bed|bing)?|termed
    |designat(?:e|es|ed|ing)|nicknam(?:e|es|ed|ing))\b
    |\b(?:describ(?:e|es|ed|ing)|denounc(?:e|es|ed|ing)|portray(?:s|ed|ing)?
    |characteri[sz](?:e|es|ed|ing)|depict(?:s|ed|ing)?|condemn(?:s|ed|ing)?
    |dismiss(?:es|ed|ing)?|decr(?:y|ies|ied|ying)|refer(?:s|red|ring)?\s+to)\b
    (?!\s+(?:how|what|when|where|why|whether|that)\b)"""
    + _WITHIN_A_CLAUSE
    + r"""as\b
    |\b(?:cast(?:s|ing)?|paint(?:s|ed|ing)?|view(?:s|ed|ing)?|regard(?:s|ed|ing)?)\s+(?:him|her
    |them|it|us|me|you|himself|herself|themselves|itself)\s+as\b
    |\b(?:regarded|viewed)\s+as\b
    |\b(?:liken(?:s|ed|ing)?|compar(?:e|es|ed|ing))\b"""
    + _WITHIN_A_CLAUSE
    + r"""(?:to|with)\b""",
    re.IGNORECASE | re.VERBOSE,
)


# A label as what someone or something is: "He is a dictator, critics say", "The rebels are
# terrorists, the army said". Reworded ("is a leader", "are militants") the claim is another
# one, not the same claim in neutral words. Not a word before its noun ("is a huge success").
_PREDICATE_BEFORE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|become|becomes|became|remains?|remained)\s+"
    r"(?:(?:not|no|now|still|just|also|truly|really|merely|simply|only)\s+)?"
    r"(?P<article>(?:a|an|the)\s+)?$",
    re.IGNORECASE,
)
_NO_NOUN_AFTER = re.compile(
    r"\s*(?:$|[^\w\s]|(?:in|of|who|whom|that|which|and|or|but|for|with|by|to|on|at|from|since"
    r"|as|like|says?|said)\b)",
    re.IGNORECASE,
)


def _is_a_predicate_label(matches: list[re.Match[str]], text: str) -> bool:
    """Whether a term is what a sentence says someone or something is ("He is a dictator.",
    "The rebels are terrorists, the army said.")."""
    for match in matches:
        copula = _PREDICATE_BEFORE.search(_just_before(text, match))
        written = match.group(0)
        if not copula or not (copula["article"] or written.lower().endswith("s")):
            continue
        if _NO_NOUN_AFTER.match(text, match.end()):
            return True
    return False


_LABEL_WITHIN = 4  # words between the verb and the label: "called the protesters thugs"
_CLAUSE_WORD = re.compile(
    r"\b(?:who|whom|which|that|whose|when|after|before|because|while|since|if|and|but)\b",
    re.IGNORECASE,
)


def _is_someones_word(matches: list[re.Match[str]], text: str) -> bool:
    """Whether a term is the word a verb reports someone used for someone: it stands in
    that verb's clause, a few words after it ("Protesters called Olsen a dictator"; not
    "has been described as the worst since the end of the military dictatorship")."""
    outside_quotes = _QUOTATION.sub(lambda m: " " * len(m.group(0)), text)
    verbs = [m.end() for m in _NAMING.finditer(outside_quotes)]
    for match in matches:
        before = [end for end in verbs if end <= match.start()]
        if not before:
            continue
        between = outside_quotes[before[-1] : match.start()]
        if _CLAUSE_BREAK.search(between) or _CLAUSE_WORD.search(between):
            continue  # "called the senator who slammed the bill": the label is not "slammed"
        if len(between.split()) <= _LABEL_WITHIN:
            return True
    return False


# "the regime", unqualified, after a name: "Japan must brace itself for a North Korean
# missile if the regime carries out a threat" read, reworded, as Japan's government
_BARE_REGIME = re.compile(r"\bthe\s+$", re.IGNORECASE)


def _names_another_government(matches: list[re.Match[str]], text: str) -> bool:
    """Whether rewording "the regime" as "the government" could point at another
    government: the sentence names someone or somewhere before it, and "the government"
    would read as theirs. "The Assad regime" and "the regime's ships" alone are safe.
    A name before an earlier bare "the regime" is before the last one too: only the text
    before the last is read for names (once per match had been quadratic)."""
    bare = [
        m
        for m in matches
        if m.group(0).lower().startswith("regime")
        and _BARE_REGIME.search(text, max(0, m.start() - 12), m.start())
    ]
    # not a weekday: "On Monday, the regime said"
    return bool(bare) and bool(named_entities(text[: bare[-1].start()]))


# someone's judgement reported, not made: "insisted he is not a racist", "called it racist";
# a verb, not its noun ("the claims were outrageous": after a determiner it is a noun)
_REPORTED_JUDGEMENT = re.compile(
    r"(?<!\bthe )(?<!\ba )(?<!\ban )(?<!\bhis )(?<!\bher )(?<!\btheir )(?<!\bthese )"
    r"\b(?:said|says|insist(?:s|ed)?|den(?:y|ies|ied)|call(?:s|ed)?|accus(?:e|es|ed|ing)"
    r"|condemn(?:s|ed|ing)?|tweet(?:s|ed)?|wrote|writes|claim(?:s|ed)?|assert(?:s|ed)?"
    r"|argu(?:e|es|ed)|describ(?:e|es|ed)|label(?:s|ed|led)?|brand(?:s|ed)?)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]—–]")


def reports_a_judgement(text: str) -> bool:
    """Whether the loaded wording of a sentence is someone's, reported: every loaded term
    stands inside a quotation or in the clause of a verb that reports a judgement
    ("insisted he is not a racist", "condemning them as racist"; not "the brutal regime
    said", nor "Police said the singer, a party girl known for ..., was arrested": the
    aside is the writer's). A story about an accusation had lost every sentence to the
    filter and got no summary at all."""
    outside_quotes = _QUOTATION.sub(lambda m: " " * len(m.group(0)), text)
    verbs = [m.end() for m in _REPORTED_JUDGEMENT.finditer(outside_quotes)]
    outside_quotes = _literal_senses_masked(outside_quotes)

    def reported(start: int) -> bool:
        before = [end for end in verbs if end <= start]
        return bool(before) and not _CLAUSE_BREAK.search(outside_quotes, before[-1], start)

    return all(
        reported(match.start())
        for entry in loaded_terms()
        for match in entry.pattern.finditer(outside_quotes)
    )


def _in_a_quotation(matches: list[re.Match[str]], text: str) -> bool:
    quoted = [m.span() for m in _QUOTATION.finditer(text)]
    return any(a <= m.start() < b for m in matches for a, b in quoted)


# A leading phrase with no name in it, then "he"/"she": "Inside the shop, he was confronted",
# "In 1989, he joined": the person is named only in a sentence before.
_PHRASE_THEN_PRONOUN = re.compile(
    r"^(?:inside|outside|after|when|while|as|before|despite|in|at|on|during|since|although"
    r"|though|if|because|once|upon|back|speaking|asked|for)\b(?P<phrase>[^,;:]{0,80}),\s+"
    r"(?:he|she|his|her|him)\b",
    re.IGNORECASE,
)


# A quotation or claim whose only speaker is a pronoun: '"...," he said.', "..., she added."
_PRONOUN_SPEAKER = re.compile(
    r"""(?:["”]\s+(?:(?:he|she|they)\s+(?:said|says|added|adds|told|continued|explained|wrote
    |asked|noted|insisted|argued|warned)|(?:said|says|added|adds)\s+(?:he|she))\b
    |,\s+(?:he|she|they)\s+(?:said|says|added|adds|noted|explained|warned)\.?\s*$)""",
    re.IGNORECASE | re.VERBOSE,
)  # after a quotation ('," he said'), or a tag that ends the sentence (", she added.")


# A noun phrase that points back at something said before: "such people" (not "such as"),
# "this change", "these moments" (not "this week", "this year": times of the story; not
# "this country", "this planet"; not "those who", "those in": a pronoun with its own
# description).
_POINTS_BACK = re.compile(
    r"""\bsuch\s+(?!as\b|a\b|an\b|things?\b)[a-z]
    |\b(?:this|these)\s+(?!(?:is|was|are|were|has|had|will|would|can|could|may|might
        |week(?:end)?s?|year|month|morning|afternoon|evening|night|summer|spring|fall|autumn
        |winter|season|time|past|coming|new|latest|first|second|last|one|two|three|story
        |article|report|country|planet|world|city|town|state|nation|quarter|decade|century
        |term|election|fiscal|holiday|days|era|point|stage)\b)[a-z]
    |\bthose\s+(?!(?:who|whom|whose|with|without|in|on|at|of|from|for|to|by|that|which
        |affected|involved|killed|injured|wounded|responsible|accused|living|aged|under|over
        |close|closest|most|still|already|now|seeking|hoping|trying|days|years|polled
        |surveyed|questioned|interviewed|arrested|detained|charged|convicted|sentenced
        |eligible|born|present|attending|taking|working|caught|named|listed)\b)[a-z]""",
    re.VERBOSE,
)


def points_back(text: str) -> bool:
    """True when a sentence, outside its quotations, names something through "such" or
    "this/these/those" ("Eastwood's film will leave such people vaguely uneasy.",
    "researchers believe this change could help explain ..."): without the sentence
    before it, the reader cannot tell what."""
    return bool(_POINTS_BACK.search(_QUOTATION.sub("", text)))


# what follows "It took" when it is a time taken: "less than a minute", "two hours"
_SPAN = (
    r"(?:less|more|about|only|just|nearly|almost|over|under|at\s+least|\d+|a|an|one|two"
    r"|three|four|five|six|seven|eight|nine|ten|several|many|years|months|weeks|days|hours"
    r"|minutes|seconds)"
)
# "it" that stands for nothing before it: a time taken, a state of knowledge, time since
_EXPLETIVE_IT = re.compile(
    rf"^It(?:\s+(?:took|takes|will\s+take)\s+{_SPAN}\b"
    r"|\s+remains\s+(?:unclear|to\s+be\s+seen)"
    r"|(?:\s+is|\s+was|['’]s)\s+(?:not\s+|still\s+)?(?:unclear|too\s+early)"
    r"|(?:\s+is|\s+was|['’]s)\s+(?:not\s+)?(?:expected|believed|thought|understood|estimated"
    r"|feared|known|likely|unlikely|possible|impossible|clear)\s+(?:that|whether)"
    r"|(?:\s+has|\s+had|['’]s)\s+been\s+(?:\d+|a|an|one|two|three|four|five|six|seven|eight"
    r"|nine|ten)\s+(?:years?|months?|weeks?|days?|hours?)\s+since)\b"
)  # not "It took off from Jakarta", "It was expected to open in May": those point back


def opens_dangling(text: str) -> bool:
    """True when a sentence needs the sentence before it: it starts with a pronoun or
    connective that needs an antecedent, or with a short phrase and then "he"/"she"
    ("Inside the shop, he ..."), or its only speaker is a pronoun ('"...," he said.': after
    another person's quotation it reads as theirs)."""
    words = re.findall(r"[A-Za-z'-]+", text[:48].lower().replace("’", "'"))
    if not words:
        return False
    words[0] = words[0].split("'")[0] or words[0]  # "he's", "they're", "that's"
    if words[0] == "it" and _EXPLETIVE_IT.match(text):
        return False  # "It took less than a minute for police to respond": no antecedent
    for n in (1, 2, 3, 4):
        if " ".join(words[:n]) in DANGLING_OPENERS and (n == 1 or words[n : n + 1] not in _ON):
            return True  # "At the time, ..." but not "At the time of his death, ..."
    if _PRONOUN_SPEAKER.search(text) or _COMMA_OPENERS.match(text) or points_back(text):
        return True
    phrase = _PHRASE_THEN_PRONOUN.match(text)
    return bool(phrase and not re.search(r"[A-Z]", phrase["phrase"]))


# The writer's reading of events rather than a report of them: an abstract subject that
# "reflects", "underscores" or "indicates" someone's commitment or determination ("Kim's
# push to bolster missile production reflects his commitment to ...", "The sharp exchanges
# reflected the urgency of the moment"), "This underscores ...", "... is a testament to",
# "The timing ... is also noteworthy." Copied into a summary it becomes the summary's own
# opinion. Not a person's act ("He underscored the importance of ..."), not a study's,
# a poll's or a document's findings ("The study highlights ...", "The filing indicates its
# intent to appeal"), not a reading someone is quoted or credited with (", analysts said",
# "according to Reuters"), not inside a quotation. Words such as "role", "efforts" and
# "values" are left out of the qualities: "The outage highlights the role of one vendor"
# reports as often as it judges.
_SUBJECT_START = (
    r"(?:The|This|That|These|Those|Its|His|Her|Their|[A-Z][\w.\-]*(?:\s[A-Z][\w.\-]*)*(?:’s|'s))\s"
)
_READING_VERB = (
    r"(?:reflect|underscore|underline|highlight|indicate|demonstrate|illustrate|reaffirm"
    r"|showcase|epitomi[sz]e|signal)(?:s|d|ed|led)?"
)
_QUALITY = (
    r"(?:commitment|determination|resolve|ambitions?|seriousness|urgency|eagerness|readiness"
    r"|reluctance|dedication|vision|pursuit|aspirations?|prowess|dominance|credentials"
    r"|character)"
)
_READING = re.compile(
    rf"^{_SUBJECT_START}(?P<subject>[^,;:\"“”]{{0,100}}?)\s(?:also\s)?{_READING_VERB}\s"
    r"(?:(?:the|a|an|his|her|its|their|[A-Z][\w.\-]*(?:\s[A-Z][\w.\-]*)*(?:’s|'s))\s)?"
    rf"(?:[a-z][\w\-]*(?:’s|'s)?\s){{0,2}}{_QUALITY}\b"
)
_POINTED = re.compile(rf"^(?:This|That)\s(?:also\s|only\s|further\s)?{_READING_VERB}\s")
_TESTAMENT = re.compile(r"\b(?:is|was|stands as) a testament to\b|\bspeaks volumes\b")
_NOTEWORTHY = re.compile(
    rf"^{_SUBJECT_START}[^,;:\"“”]{{0,100}}?\s(?:is|was)\s(?:also\s)?"
    r"(?:(?:noteworthy|notable|telling)(?:\.$|\s(?:as|because|since|in that)\s)"
    r"|significant\s(?:as|because)\s(?:it|this)\s(?:highlights|underscores|shows|signals"
    r"|reflects|marks)\b)"
)
_FINDINGS = re.compile(
    r"\b(?:stud(?:y|ies)|findings?|data|polls?|polling|surveys?|research|results?|figures?"
    r"|numbers|statistics?|analys[ie]s|evidence|experiments?|tests?|reports?|documents?"
    r"|filings?|records?|letters?|memos?|maps?|charts?)\b",
    re.IGNORECASE,
)
# A reading someone is credited with stands as theirs: ", analysts said", "according to".
_CREDITED = re.compile(
    r"\b(?:said|says|say|told|tells|according\s+to|wrote|writes|argued|argues|added|adds"
    r"|stated|believes?|believed|contends?|contended)\b",
    re.IGNORECASE,
)


def is_commentary(text: str) -> bool:
    """True when the sentence is its writer's interpretation, not news: "X's push reflects
    his commitment to ...", "This underscores ...", "The timing ... is also noteworthy.";
    judged without a filler or wrap-up opener ("In conclusion, ...")."""
    text = _WRAP_UP.sub("", without_filler_opener(text), count=1)
    if _CREDITED.search(_QUOTATION.sub("", text)):
        return False
    if _POINTED.match(text) or _NOTEWORTHY.match(text) or _TESTAMENT.search(text):
        return True
    reading = _READING.match(text)
    return bool(reading and not _FINDINGS.search(reading["subject"]))


# The writer summing up their own article ("In short, it was really nasty stuff."): in
# news, a view; the facts it sums up are in the article's other sentences.
_WRAP_UP = re.compile(
    r"^(?:In conclusion|In summary|To sum up|To conclude|All in all|In short),\s+(?=\S)",
    re.IGNORECASE,
)


def sums_up(text: str) -> bool:
    """True when the sentence opens on a wrap-up ("In conclusion, ...", "In short, ...")."""
    return bool(_WRAP_UP.match(text))


# Filler a content farm opens with, and the writer's verdict on what follows ("Sadly,",
# "Fortunately,", "Ironically,"): the sentence says the same without it, in a neutral voice.
_FILLER_OPENER = re.compile(
    r"^(?:In (?:a|another|the) (?:(?:new|recent|major|significant|surprising|dramatic|related"
    r"|latest|fresh|notable)\s)?development|In (?:recent|related|other) news|(?:Un)?fortunately"
    r"|Sadly|Thankfully|Luckily|Mercifully|Tragically|Ironically|Interestingly|(?:Un)?surprisingly"
    r"|Predictably|Remarkably|Curiously|Oddly|Strangely|Happily|Alarmingly|Shockingly"
    r"|Disturbingly|Worryingly|Amazingly|Incredibly|Hilariously|Oddly enough|Strangely enough"
    r"|Funnily enough|Definitely|Clearly|Obviously|Undoubtedly|Certainly|Of course"
    r"|Needless to say|Admittedly),\s+(?=\S)",
    re.IGNORECASE,
)
_FIRST_WORD = re.compile(r"^(?P<marks>[\"“‘']*)(?P<word>\w+)")


# "Unfortunately, the company said, the plant will close.": the adverb is the speaker's.
_SPEAKER_AFTER = re.compile(
    r"^[^,;:]{1,60}\s(?:said|says|added|adds|told\s+\S+|wrote|writes),", re.IGNORECASE
)


def without_filler_opener(text: str) -> str:
    """The sentence without "In a recent development," and the like, capitalised again
    (past an opening quotation mark; "eBay" and "iPhone" keep theirs); an opener followed by
    a speaker ("Unfortunately, the company said, ...") is the speaker's word and stays."""
    rest = _FILLER_OPENER.sub("", text, count=1)
    if _SPEAKER_AFTER.match(rest):
        return text
    first = _FIRST_WORD.match(rest)
    if rest == text or not first or re.match(r"[a-z]+[A-Z]", first["word"]):
        return rest
    at = first.start("word")
    return rest[:at] + rest[at].upper() + rest[at + 1 :]
