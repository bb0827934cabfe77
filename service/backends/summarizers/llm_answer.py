"""Reading a model's answer: sentences with the article numbers that support each one.

In: the text a model returned and how many articles it was given. Out: the
proposed sentences as (text, citations) pairs, citations as the model wrote them
(the verifier removes numbers of articles that do not exist, and re-attributes a
sentence that cites nothing it can check), or InvalidAnswer
with a reason a model can act on: it is sent back in the repair prompt.

The contract is `{"sentences": [{"text": "...", "citations": [1, 2]}]}`; models
that cannot be held to a JSON schema slip in predictable ways, which are
accepted: a ```json fence or prose around the object (with several objects, the last
answer-shaped one: "Draft: {...} Final answer: {...}"), a bare list of sentences,
numbers written as strings ("2", "[2]"), ranges ("1-3": 1, 2 and 3) or as integral
floats (2.0, "[2.0]"), and `[n]` markers inside the text where a citation goes: at the
end of a sentence or clause ("... on Monday [2]." or "... on Monday [2], and ..."); a
bracketed number inside a phrase ("52 [48] percent") is text. A non-integral number
(2.5) names no article: invalid.
"""

from __future__ import annotations

import json
import re
from typing import Any

from service.pipeline.sentences import split_paragraph

ANSWER_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "sentences": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "citations": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["text", "citations"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["sentences"],
    "additionalProperties": False,
}
"""The JSON schema sent as response_format where the model supports one."""

# "[1][3]" or "[1, 3]" where a citation goes: before a sentence's or a clause's punctuation,
# or at the end; not inside a phrase ("52 [48] percent")
_MARKER = re.compile(r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+\s*(?=[.!?,;:]|$)")
_NUMBER = re.compile(r"\d+")
_RANGE = re.compile(r"(?<![\d.])(\d+)\s*[-–]\s*(\d+)(?![\d.])")  # "1-3": articles 1, 2, 3
_MAX_RANGE = 50  # "1-900" is no list of articles
_CITED_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?")  # "2.0" is article 2, not articles 2 and 0
_TRAILING_MARKERS = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")


class InvalidAnswer(Exception):
    """The answer breaks the output contract; the message says how, for the repair prompt."""


class UnreadableAnswer(InvalidAnswer):
    """No JSON summary could be read from the answer at all (empty, prose, a cut-off
    document): what an answer cut at the output limit looks like."""


Proposal = tuple[str, list[int]]


_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.DOTALL)


def _decode(content: str) -> Any:
    text = content.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    # (an answer's shape, inside a ``` fence, an object, the value)
    found: list[tuple[bool, bool, bool, Any]] = []
    fences = [m.span(1) for m in _FENCE.finditer(text)]
    covered = 0  # values inside one already found are its parts, not answers
    for match in re.finditer(r"[{\[]", text):  # JSON values inside prose or a fence
        if match.start() < covered:
            continue
        try:
            value, covered = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict | list) and value:
            fenced = any(start <= match.start() < end for start, end in fences)
            found.append((_answer_shaped(value), fenced, isinstance(value, dict), value))
    if found:
        # "Based on articles [1] and [2]: ```json {...}```": the fenced object, not the "[1]";
        # "Draft: {...} Final answer: {...}": the last one (max keeps the first of equals)
        return max(reversed(found), key=lambda item: item[:3])[3]
    preview = " ".join(text.split())[:80]
    if not preview:
        raise UnreadableAnswer("the answer was empty")
    raise UnreadableAnswer(f"the answer is not JSON (it starts: {preview!r})")


def _answer_shaped(value: Any) -> bool:
    """Whether a JSON value found in the answer has the shape of a summary: an object with
    its sentences, or a list of sentence objects."""
    if isinstance(value, dict):
        return "sentences" in value or "summary" in value
    return isinstance(value, list) and all(isinstance(v, dict) and "text" in v for v in value)


def _citations(value: Any, where: str, refused: list[str]) -> list[int]:
    """The article numbers of a sentence's citations. A value that is no article number
    (true, 4.5) is left out and noted in `refused`: one such value had thrown out every
    sentence of the answer."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    numbers: list[int] = []
    for item in items:
        if isinstance(item, bool):
            refused.append(f"{where}: citations must be article numbers, got {item!r}")
        elif isinstance(item, int):
            numbers.append(item)
        elif isinstance(item, float) and item.is_integer():  # 4.0 is article 4; 4.5 is none
            numbers.append(int(item))
        elif isinstance(item, str) and _CITED_NUMBER.search(item):
            numbers += _ranges(item, where, refused)
            for whole, fraction in _CITED_NUMBER.findall(_RANGE.sub(" ", item)):
                if fraction.strip("0"):
                    refused.append(f"{where}: citations must be article numbers, got {item!r}")
                else:
                    numbers.append(int(whole))
        else:
            refused.append(f"{where}: citations must be article numbers, got {item!r}")
    return numbers


def _ranges(item: str, where: str, refused: list[str]) -> list[int]:
    """The article numbers of the ranges in a citation ("1-3" is 1, 2 and 3: it had read as
    1 and 3); a range backwards or longer than _MAX_RANGE is refused."""
    numbers: list[int] = []
    for first, last in _RANGE.findall(item):
        if int(first) <= int(last) < int(first) + _MAX_RANGE:
            numbers += range(int(first), int(last) + 1)
        else:
            refused.append(f"{where}: citations must be article numbers, got {item!r}")
    return numbers


def parse_answer(content: str, count: int) -> list[Proposal]:
    """The (text, citations) sentences of an answer about `count` articles."""
    value = _decode(content)
    if isinstance(value, dict):
        value = value.get("sentences", value.get("summary"))
    if not isinstance(value, list):
        raise UnreadableAnswer('the JSON has no "sentences" list')
    proposals: list[Proposal] = []
    refused: list[str] = []
    for index, item in enumerate(value, start=1):
        where = f"sentence {index}"
        if not isinstance(item, dict):
            raise InvalidAnswer(f'{where} is not an object with "text" and "citations"')
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidAnswer(f'{where} has no "text"')
        cited = _citations(item.get("citations", item.get("sources")), where, refused)
        # several sentences in one item are checked one by one: each must be supported
        # "A fact. [2] B fact." -> "A fact [2]. B fact.": a marker belongs to the sentence before
        text = _TRAILING_MARKERS.sub(lambda m: m.group(2) + m.group(1), " ".join(text.split()))
        for part in split_paragraph(text):
            citations = list(cited)
            for marker in _MARKER.findall(part):  # "[1][3]" left inside the text
                citations += [int(n) for n in _NUMBER.findall(marker)]
            part = " ".join(_MARKER.sub("", part).split())
            if part:
                proposals.append((part, list(dict.fromkeys(citations))))
    if not proposals:
        raise InvalidAnswer("the answer has no sentences")
    if not any(1 <= n <= count for _, cites in proposals for n in cites):
        raise InvalidAnswer(
            refused[0] if refused else f"no sentence cites an article number from 1 to {count}"
        )
    return proposals
