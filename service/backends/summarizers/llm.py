"""The LLM summarizer: any litellm model writes the summary, the verifier decides what stays.

In: one cluster's articles, numbered [1]..[n]. Out: a Summary whose every sentence
cites articles that support it, with the model that answered, the prompt's name,
version and hash, tokens in and out, cost, latency, and notes saying what went
wrong on the way. This is the only module that sends chat requests through litellm.

How one cluster is summarized, and why:
1. The numbered articles are packed into the smallest context window of the model
   chain (tiktoken counts via litellm, room left for the answer). When they do not
   fit, map-reduce: each group is summarized with its original numbers, then the
   partial summaries are merged, so citations never need renumbering.
2. Every call goes through one litellm `Router`: retries with backoff (a 429's
   Retry-After is honoured), per-call timeouts and cooldowns; when a model still
   errors, the next model of the chain is asked, and the notes say why the one
   before failed (a bad key stays bad on every run: a model whose server refused its
   key is not asked again for KEY_REFUSED_FOR_S). Each call it sends, retries and
   fallbacks included, first takes its share of the shared rate limit
   (`rate_limit.py` and `router_budget.py`, when set). Answers are cached (llm_cache.py).
3. The answer must meet the output contract (llm_answer.py) and at least one of its
   sentences must survive the verifier. An invalid answer gets one repair (the
   error is sent back; not for a reply with no answer in it, one cut at the output
   limit, or one the provider's content filter stopped, which a repair would not
   mend); a second invalid answer moves on to the next model of the
   chain; when none is left, the extractive backend writes the summary and the
   notes say why.
4. Single-source sentences are attributed to their outlet, and the summary is cut
   to the word budget (cut sentences are listed in `dropped`).
Thread-safe: everything one summary needs lives in the call; the Router, cache
and verifier are shared and safe to share.
"""

from __future__ import annotations

import contextvars
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from service import stopping
from service.backends.call_checks import CallCheck, install_call_checks, register
from service.backends.embedders import Embedder
from service.backends.llm_client import (
    count_tokens,
    import_litellm,
    model_limits,
    provider_of,
    response_format_for,
)
from service.backends.rate_limit import LLMRateLimit, RateLimitTimeout, rate_limit_for
from service.backends.router_budget import charging, in_event_loop
from service.backends.summarizers.attribution import (
    ACCORDING,
    UNNAMED_REPORT,
    attribute,
    attribution_form,
    cited_source,
    report_days,
    sequenced_length,
    unnamed_growth,
    vary_unnamed_reports,
)
from service.backends.summarizers.base import OVER_BUDGET, REPEATED, Summarizer
from service.backends.summarizers.extractive import ExtractiveSummarizer
from service.backends.summarizers.llm_answer import (
    ANSWER_SCHEMA,
    InvalidAnswer,
    Proposal,
    UnreadableAnswer,
    parse_answer,
)
from service.backends.summarizers.llm_cache import AnswerCache, make_cache
from service.backends.summarizers.registry import EXTRACTIVE
from service.config import Settings
from service.errors import ConfigError, UnknownBackendError
from service.models import Article, DroppedSentence, Summary, SummarySentence, Usage
from service.pipeline.budget import SAFETY_MARGIN, Budget, pack, truncate
from service.pipeline.clean import plain_words
from service.pipeline.language import ENGLISH, language_name, story_language
from service.pipeline.support import content_words
from service.pipeline.verify import (
    Verifier,
    claim_of,
    credited_outlet,
    verifier_for,
    without_credit,
)
from service.prompts import Prompt, load_prompt
from service.redact import known_secrets, redacted

PROMPT_NAME = "summarize"
PROMPT_PARTS = ("system", "user", "merge-system", "merge-user", "repair")
MAX_MERGE_ROUNDS = 4
_NO_KEY = "no-key"  # OpenAI-compatible local servers want some key and check none
_MESSAGE_TOKENS = 4  # what a chat message costs beyond its text (role, separators)
_LITELLM_PREFIX = re.compile(r"^(?:(?:litellm\.)?\w+(?:Error|Exception)(?::| -) *)+")

T = TypeVar("T")


READ_SENTENCES_MIN = 20
"""An answer's sentences read at least; more only for larger word budgets."""

MAX_DROPPED_LISTED = 50
"""Dropped sentences listed per summary; the rest are counted in a note."""


class _Invalid(Exception):
    """`model`'s answer cannot be used: twice against the output contract, or its partial
    summaries would not merge; `note` says which, for the summary's notes."""

    def __init__(self, model: str, reason: str, note: str) -> None:
        super().__init__(reason)
        self.model = model
        self.note = note


class _Unavailable(Exception):
    """No model of the chain answered (errors, timeouts, rate limits after retries)."""


class _KeyRefused(Exception):
    """A model not asked at all: its server refused its key a short while ago."""


KEY_REFUSED_FOR_S = 900.0
"""How long a model whose key its server refused (HTTP 401/403, or no key to send) is not
asked again: a run's every story had asked it, and again each time the Router's cooldown
lapsed. A long-lived server asks again after this, in case the key was fixed meanwhile."""


@dataclass
class _Call:
    """What one summary's calls used and what happened on the way."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    priced_calls: int = 0
    unpriced_calls: int = 0  # answers from a model litellm knows no price for
    cache_hits: int = 0
    waited_s: float = 0.0  # time spent waiting on models, retries and backoff included
    notes: list[str] = field(default_factory=list)

    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            # unknown, not free, when no answer had a price (a new or self-hosted model)
            cost_usd=None
            if self.unpriced_calls and not self.priced_calls
            else round(self.cost_usd, 8),
            latency_s=round(self.waited_s, 3),
        )

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


# The provider's client refusing to start without a key (litellm reports it as HTTP 500,
# though no server was asked): "Missing credentials. Please pass an `api_key` ..."
_KEY_MISSING = re.compile(r"missing credentials|api_key client option must be set", re.IGNORECASE)


def describe_error(
    exc: Exception, timeout_s: float, secrets: Iterable[str] = (), key: str | None = None
) -> str:
    """A litellm/provider error in words that say what to check, with no secret in them
    (`redact.py`): it becomes a note that every reader of the digest sees. `key` names the
    setting the model's key came from, for an error about the key."""
    # hidden in the whole text before it is cut: a key across the cut kept its first part
    message = redacted(str(exc), secrets)
    return redacted(_error_words(exc, timeout_s, message, key or _ANY_KEY), secrets)


_ANY_KEY = "DIGEST_API_KEY or the provider's key variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...)"
# litellm's words around the provider's: "litellm.BadRequestError: ContextWindowExceededError:
# OpenAIException - " before them; after them "model=... context_window_fallbacks=None ...",
# "LiteLLM: model group 'x' failed ... No fallback was attempted. LiteLLM Retried: 2 times"
_LITELLM_SUFFIX = re.compile(
    r"\s*(?:model=\S+\. context_window_fallbacks=|LiteLLM: model group |LiteLLM Retried: ).*",
    re.DOTALL,
)
# a 200 reply that is no chat completion, as litellm words it (and reports as HTTP 500)
_NOT_A_COMPLETION = re.compile(
    r"^(?:Empty or invalid response from LLM endpoint\. Received: (?P<received>.*?)\. Check "
    r"|Invalid response object)",
    re.DOTALL,
)
_CONTEXT_LIMIT = re.compile(r"maximum context length is (\d+)")


def _provider_words(message: str) -> str:
    """What the provider said, without litellm's words around it, on one line."""
    said = _LITELLM_SUFFIX.sub("", message.strip())
    said = (said.splitlines() or [""])[0]
    return _LITELLM_PREFIX.sub("", said).strip()[:160]


def _error_words(exc: Exception, timeout_s: float, message: str, key: str) -> str:
    said = _provider_words(message)
    known = _known_error(exc, timeout_s, message, said, key)
    if known:
        return known
    return _reply_error(exc, said) or f"{type(exc).__name__}: {said or type(exc).__name__}"


def _known_error(exc: Exception, timeout_s: float, message: str, said: str, key: str) -> str:
    """The words for an error of a kind litellm names, or "" for another."""
    litellm = import_litellm()
    if isinstance(exc, RateLimitTimeout):  # the shared budget, not the server: no room, or
        return f"{message} ({exc.hint})"  # its Redis unreachable
    if isinstance(exc, litellm.Timeout):
        return f"timed out after {timeout_s:g}s (raise DIGEST_LLM_TIMEOUT_S for slow models)"
    if isinstance(exc, litellm.RateLimitError):
        return (
            "rate limited (HTTP 429) after every retry (each after the server's Retry-After "
            "when it asked for 60 s or less, else after a short backoff); lower "
            "DIGEST_CONCURRENCY, set DIGEST_LLM_RPM / DIGEST_LLM_TPM to the provider's "
            "limits, or retry later"
        )
    if _KEY_MISSING.search(said):
        return f"no API key was given for this model: set {key}"
    if isinstance(exc, litellm.AuthenticationError) or _status(exc) == 401:
        return f"authentication failed (HTTP 401): set a valid key in {key}"
    if _status(exc) == 403:
        return f"access denied (HTTP 403): {said}; check that the key in {key} may use this model"
    if isinstance(exc, litellm.NotFoundError):
        return f"model not found on the server (HTTP 404): {said}"
    if isinstance(exc, litellm.ContextWindowExceededError):
        window = _CONTEXT_LIMIT.search(said)
        size = f" ({window.group(1)} tokens, the server says)" if window else ""
        return (
            f"the request was longer than the model's context window (HTTP 400: {said}); "
            f"set DIGEST_LLM_CONTEXT_TOKENS to the model's real window{size}"
        )
    return ""


def _reply_error(exc: Exception, said: str) -> str:
    """The words for a server that answered something other than a chat completion, or
    could not be read from; "" for another error."""
    litellm = import_litellm()
    status = _status(exc)
    if odd := _NOT_A_COMPLETION.match(said):
        received = (odd.group("received") or "").strip(" '\"")
        what = f"it sent {received[:80]!r}" if received else "a choice without a message"
        return (
            f"the server's reply was not a chat completion ({what}); check that "
            "DIGEST_API_BASE (or --api-base in the CLI) is the model's API, not a web page, "
            "a login or a proxy"
        )
    if status == 422 and not said:  # how litellm reports a 200 reply with an "error" object
        return "the server sent an error instead of an answer, and litellm read no reason in it"
    if isinstance(exc, litellm.APIConnectionError) or said.lower().startswith("connection error"):
        # litellm words a refused connection and a reply cut off midway alike
        return (
            "could not reach the model's server, or the connection broke before its answer "
            "was complete (is it running? check its address: DIGEST_API_BASE, or --api-base "
            f"in the CLI): {said}"
        )
    if status:
        return f"the server answered HTTP {status}: {said or 'no reason given'}"
    return ""


def _status(exc: Exception) -> int | None:
    """The HTTP status an error carries, if any (litellm's may be a string)."""
    try:
        return int(getattr(exc, "status_code", None) or 0) or None
    except (TypeError, ValueError):
        return None


_gate = threading.local()  # the Router call this thread makes: the key error it got, if any


class _RetryRefused(Exception):
    """Raised before a Router retry of a call whose key was refused, to end the retries.

    `status_code` 400 tells the Router not to retry it (as `stopping.RunStopped`)."""

    status_code = 400

    def __init__(self, refused: Exception) -> None:
        super().__init__(str(refused))
        self.refused = refused


@contextmanager
def _key_gate() -> Iterator[None]:
    """Within the block, the Router does not retry a call whose key its server refused:
    litellm retries a 403 as any other error, and each retry was refused again. litellm runs
    its callbacks' failure log and `pre_call_check` in the calling thread, before each retry
    (`call_checks.py`)."""
    install_call_checks()
    _gate.active, _gate.refused = True, None
    try:
        yield
    except _RetryRefused as stopped:
        raise stopped.refused from None  # the server's own error, for the notes
    finally:
        _gate.active, _gate.refused = False, None


def _remember_refused_key(error: Exception) -> None:
    """After a failed call: a refused key, in this thread's gated call, ends its retries."""
    if getattr(_gate, "active", False) and _refuses_key(error):
        _gate.refused = error


def _refuse_retry_after_refused_key(deployment: dict[str, Any]) -> None:
    """Before a call: not one more retry once this thread's gated call had its key refused."""
    refused = getattr(_gate, "refused", None)
    if refused is not None:
        raise _RetryRefused(refused)


# before the charge: a retry the gate refuses is never sent, and takes no room in the budget
register(
    CallCheck("key gate", _refuse_retry_after_refused_key, _remember_refused_key),
    before="rate-limit charge",
)


def _refuses_key(exc: Exception) -> bool:
    """Whether `exc` says that the model's server refused its key (HTTP 401 or 403), or that
    there was none to send: every later call would get the same answer."""
    litellm = import_litellm()
    if isinstance(exc, litellm.AuthenticationError) or _status(exc) in (401, 403):
        return True
    return bool(_KEY_MISSING.search(str(exc)))


def _numbers(numbers: list[int]) -> str:
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]} to {numbers[-1]}"
    return ", ".join(str(n) for n in numbers)


def _article_line(number: int, article: Article, text: str | None = None) -> str:
    record: dict[str, object] = {"n": number, "outlet": article.outlet or "unknown"}
    if article.title:
        record["title"] = article.title
    if article.published_at:
        record["published"] = article.published_at.date().isoformat()
    record["text"] = article.text if text is None else text
    return _data_line(record)


def _partial_line(proposal: Proposal) -> str:
    return _data_line({"text": proposal[0], "citations": proposal[1]})


_TAG_OPENING = re.compile(r"<(?=/?[A-Za-z])")


def _data_line(record: dict[str, object]) -> str:
    """One JSON line of data for the prompt, with every "<" that could open a tag written as
    the JSON escape \\u003c: an article holding "</articles>\\nSYSTEM: ..." had closed the
    prompt's data block in the prompt's own words. The JSON still reads as the same text."""
    return _TAG_OPENING.sub(r"\\u003c", json.dumps(record, ensure_ascii=False))


@dataclass(frozen=True)
class ChainSetup:
    """What a model chain takes from the settings, checked: each model's provider and the
    one the api base and key are for, the prompt, and the token budget that leaves room for
    articles."""

    chain: list[str]
    providers: dict[str, str]
    configured: str | None  # the provider DIGEST_API_BASE and DIGEST_API_KEY are for
    prompt: Prompt
    count: Callable[[str], int]
    budget: Budget


def chain_setup(model: str, settings: Settings) -> ChainSetup:
    """The chain of `model` and its fallbacks as the settings give it; a ConfigError (or
    UnknownBackendError) names the setting that cannot work. Cheap: no Router, no cache,
    no connection, so start-up can check it (`registry.check_settings`)."""
    chain = list(dict.fromkeys([model, *settings.fallback_models]))
    providers = {m: _provider(m, primary=m == model) for m in chain}
    prompt = load_prompt(
        PROMPT_NAME,
        settings.llm_prompt_version,
        directory=settings.prompts_dir,
        required=PROMPT_PARTS,
    )
    count: Callable[[str], int] = partial(count_tokens, model)
    budget = _budget(model, chain, settings, prompt, count)
    configured = _configured_provider(settings, model, providers[model])
    for name in chain:  # last: a setting above that cannot work is the one to fix first
        if providers[name] != configured or not (settings.api_key or settings.api_base):
            _check_key(name)
    return ChainSetup(chain, providers, configured, prompt, count, budget)


def _configured_provider(settings: Settings, model: str, provider: str) -> str | None:
    """The provider `DIGEST_API_BASE` and `DIGEST_API_KEY` are for: `DIGEST_BACKEND`'s (the
    CLI's `--model`). None when the configured backend is extractive: then they are for no
    model, or a model an API client picks would be sent the operator's key and server."""
    if settings.backend == model:
        return provider
    if settings.backend == EXTRACTIVE:
        return None
    try:
        return provider_of(settings.backend)
    except UnknownBackendError:
        return None


# providers whose only credential is an API key variable: a missing one cannot work
_KEY_ONLY_PROVIDERS = frozenset(
    "openai anthropic gemini mistral groq cohere cohere_chat deepseek xai perplexity "
    "together_ai fireworks_ai openrouter deepinfra anyscale".split()
)


def _check_key(model: str) -> None:
    """A ConfigError when the provider's key variable for `model` is not set: known before
    any call (it had read as "authentication failed (HTTP 401)" on every story, and the
    run went on with extractive summaries). Only providers whose one credential is an API
    key (`_KEY_ONLY_PROVIDERS`): Azure takes Entra ID tokens, Bedrock or Vertex the
    machine's role."""
    try:
        provider = provider_of(model)
        if provider not in _KEY_ONLY_PROVIDERS:
            return  # Azure (Entra ID tokens), Bedrock, Vertex, Hugging Face: other credentials
        missing = import_litellm().validate_environment(model).get("missing_keys") or []
    except Exception:  # a provider litellm cannot check
        return
    keys = [k for k in missing if str(k).endswith("_API_KEY")]
    blank = f"{provider.upper()}_API_KEY"
    if not keys and blank in os.environ and not os.environ[blank].strip():
        keys = [blank]  # set to nothing ("ANTHROPIC_API_KEY=" in a shell) is not set
    if keys:
        raise ConfigError(
            f"model {model!r} needs {' or '.join(keys)}, which is not set",
            hint=f"set {keys[0]} in the environment, or DIGEST_API_KEY when it is "
            "DIGEST_BACKEND's provider (the CLI's --model)",
        )


def _key_in_environment(model: str) -> bool:
    """Whether the provider's own key variable (OPENAI_API_KEY, ...) is set for `model`."""
    try:
        return bool(import_litellm().validate_environment(model).get("keys_in_environment"))
    except Exception:  # an unknown provider: litellm cannot say
        return False


def _provider(model: str, *, primary: bool) -> str:
    try:
        return provider_of(model)
    except UnknownBackendError as exc:
        if primary:
            raise
        if model == EXTRACTIVE:
            raise ConfigError(
                "the extractive summary is not a fallback model: it is always the last resort",
                hint="leave 'extractive' out of DIGEST_FALLBACK_MODELS (or --fallback)",
            ) from exc
        raise ConfigError(
            f"fallback model {model!r} is not a model litellm can route",
            hint="fix DIGEST_FALLBACK_MODELS (or --fallback): e.g. 'openai/gpt-4o-mini'",
        ) from exc


def _budget(
    model: str, chain: list[str], settings: Settings, prompt: Prompt, count: Callable[[str], int]
) -> Budget:
    limits = [model_limits(m) for m in chain]
    window = settings.llm_context_tokens or min(x.input_tokens for x in limits)
    outputs = [x.output_tokens for x in limits if x.output_tokens]
    answer = min([settings.llm_max_output_tokens, *outputs])
    values = {
        "articles": "",
        "partials": "",
        "max_words": 1000,
        "numbers": "1 to 999",
        "language": language_name("xx"),  # the longest a language is named
        "attribution": attribution_form(ENGLISH),  # and the longest attribution
    }
    fixed = max(
        count(prompt.render(system, **values)) + count(prompt.render(user, **values))
        for system, user in (("system", "user"), ("merge-system", "merge-user"))
    )
    budget = Budget(context_tokens=window, answer_tokens=answer, prompt_tokens=fixed)
    try:
        budget.check()
    except ValueError as exc:
        raise ConfigError(
            f"model {model!r}: {exc}",
            hint="raise DIGEST_LLM_CONTEXT_TOKENS or lower DIGEST_LLM_MAX_OUTPUT_TOKENS",
        ) from exc
    return budget


class LLMSummarizer:
    """Summaries written by a litellm model chain; see the module docstring."""

    def __init__(
        self,
        model: str,
        *,
        settings: Settings,
        embedder: Embedder,
        verifier: Verifier | None = None,
        fallback: Summarizer | None = None,
    ) -> None:
        self.name = model
        self.settings = settings
        self.embedder = embedder
        setup = chain_setup(model, settings)
        self.chain = setup.chain
        self._providers = setup.providers
        self._configured = setup.configured
        self.prompt: Prompt = setup.prompt
        self.count: Callable[[str], int] = setup.count
        self.budget = setup.budget
        self.verifier = verifier or verifier_for(embedder)
        self.fallback = fallback or ExtractiveSummarizer(embedder)
        self.cache: AnswerCache | None = make_cache(
            settings.llm_cache, data_dir=settings.data_dir, redis_url=settings.redis_url
        )
        # each deployment's params once: the Router and the answer cache's key both read them
        self._deployments = {m: self._params(m) for m in self.chain}
        self.router = self._router()
        install_call_checks()  # before each call the Router sends: a stopped run's retries end
        self.rate_limit: LLMRateLimit | None = rate_limit_for(settings)
        self._formats = {m: response_format_for(m, ANSWER_SCHEMA) for m in self.chain}
        self._lock = threading.Lock()
        self._last_failure: dict[str, str] = {}  # each model's last error, said in words
        self._refused: dict[str, tuple[float, str]] = {}  # model: (when, why) its key failed
        self._secrets = known_secrets(settings)  # hidden from every note

    # --- set-up ---------------------------------------------------------------------
    def _params(self, model: str) -> dict[str, Any]:
        """litellm_params of one deployment: api_base/api_key go only to the provider they
        were set for, that of the configured backend (`DIGEST_BACKEND`, or the CLI's
        `--model`). A model an API client picks from another provider must not be sent
        the operator's key and server address, nor take them from the fallbacks."""
        params: dict[str, Any] = {
            "model": model,
            "timeout": self.settings.llm_timeout_s,
            "max_retries": 0,  # the Router retries; the SDK must not retry underneath it
            "drop_params": True,  # a fallback may not take the primary's response_format
        }
        if self._providers[model] == self._configured:
            if self.settings.api_base:
                params["api_base"] = self.settings.api_base
            if self.settings.api_key:
                params["api_key"] = self.settings.api_key
            elif self.settings.api_base and not _key_in_environment(model):
                params["api_key"] = _NO_KEY  # not over the provider's own OPENAI_API_KEY
        return params

    def _router(self) -> Any:
        litellm = import_litellm()
        options: dict[str, Any] = {}
        if self.settings.redis_url:  # cooldowns and usage shared by every worker
            options["redis_url"] = self.settings.redis_url
        from litellm.router import RetryPolicy

        retries = self.settings.llm_max_retries
        return litellm.Router(  # no fallbacks: `_down_the_chain` walks the chain
            model_list=[  # copies: the Router may add to what it is given
                {"model_name": m, "litellm_params": dict(p)} for m, p in self._deployments.items()
            ],
            num_retries=retries,
            # a timed-out call is retried once at most: each waits the whole timeout, and two
            # retries at the default 60 s held a story 3 minutes before its fallback
            retry_policy=RetryPolicy(
                TimeoutErrorRetries=min(retries, 1),
                RateLimitErrorRetries=retries,
                InternalServerErrorRetries=retries,
                ServiceUnavailableErrorRetries=retries,
            ),
            timeout=self.settings.llm_timeout_s,
            retry_after=0,
            **options,
        )

    # --- one summary ----------------------------------------------------------------
    def summarize(self, articles: list[Article], *, max_words: int = 120) -> Summary:
        call = _Call()
        if not articles:
            return Summary(sentences=[], backend=self.name, prompt=self.prompt.label)
        position = 0
        while position < len(self.chain):
            model = self.chain[position]
            try:
                summary = self._write(model, articles, max_words, call)
            except _Invalid as exc:
                position = self.chain.index(exc.model) + 1
                call.note(exc.note)
                continue
            except _Unavailable as exc:
                call.note(f"no model answered: {exc}")
                break
            summary = self._finish(summary, articles, max_words)
            if not summary.sentences:  # nothing left to show: the next model, or extractive
                reasons = "; ".join(sorted({d.reason for d in summary.dropped})[:3])
                call.note(f"{model}'s answer kept no sentence ({reasons or 'it had none'})")
                position += 1
                continue
            notes = call.notes + summary.notes
            return summary.model_copy(update={"usage": call.usage(), "notes": notes})
        stopping.check()
        summary = self.fallback.summarize(articles, max_words=max_words)
        call.note(f"fell back to the {summary.backend} summary (written from the articles)")
        return summary.model_copy(
            update={"usage": call.usage(), "notes": call.notes + summary.notes}
        )

    def _write(self, model: str, articles: list[Article], max_words: int, call: _Call) -> Summary:
        """A verified summary by `model` (or the Router's fallback); map-reduce when needed."""
        everything = list(range(1, len(articles) + 1))
        lines = self._article_lines(model, articles, call)
        language = story_language(articles)  # the summary is written in the articles' one
        groups = pack([self.count(line) for line in lines], self.budget.item_tokens)

        def final(content: str) -> Summary:
            proposals, cut = _within_reason(parse_answer(content, len(articles)), max_words)
            draft = self._draft(proposals, articles, [cut] if cut else [])
            verified = self.verifier.verify(draft, articles)
            if not verified.sentences:
                raise InvalidAnswer(
                    "no sentence of the answer is supported by the articles it cites (each "
                    "must state only facts those articles state)"
                )
            return verified

        def partial(content: str) -> list[Proposal]:  # a group's summary, to be merged
            return _within_reason(parse_answer(content, len(articles)), max_words)[0]

        if len(groups) == 1:
            messages = self._messages("user", lines, everything, max_words, language)
            summary, answered = self._ask(model, messages, everything, final, call)
            return summary.model_copy(update={"backend": answered})

        call.note(
            f"the {len(articles)} articles do not fit one request: summarized in "
            f"{len(groups)} groups, then merged"
        )
        partials: list[Proposal] = []
        for group in groups:
            numbers = [i + 1 for i in group]
            messages = self._messages(
                "user", [lines[i] for i in group], numbers, max_words, language
            )
            found, _ = self._ask(model, messages, numbers, partial, call)
            partials += found
        for _ in range(MAX_MERGE_ROUNDS):
            partial_lines = [_partial_line(p) for p in partials]
            merge_groups = pack([self.count(x) for x in partial_lines], self.budget.item_tokens)
            if len(merge_groups) == 1:
                messages = self._messages(
                    "merge-user", partial_lines, everything, max_words, language
                )
                summary, answered = self._ask(model, messages, everything, final, call)
                return summary.model_copy(update={"backend": answered})
            merged: list[Proposal] = []
            for group in merge_groups:
                messages = self._messages(
                    "merge-user",
                    [partial_lines[i] for i in group],
                    everything,
                    max_words,
                    language,
                )
                found, _ = self._ask(model, messages, everything, partial, call)
                merged += found
            partials = merged
        reason = "its partial summaries could not be merged into one request"
        raise _Invalid(model, reason, f"{model}'s summary could not be completed ({reason})")

    def _article_lines(self, model: str, articles: list[Article], call: _Call) -> list[str]:
        """One JSON line per article; an article too long for any request is cut to fit."""
        lines = []
        for number, article in enumerate(articles, start=1):
            line = _article_line(number, article)
            if self.count(line) > self.budget.item_tokens:
                room = self.budget.item_tokens - self.count(_article_line(number, article, ""))
                line = _article_line(number, article, truncate(article.text, self.count, room))
                call.note(f"article [{number}] was cut to fit {model}'s context window")
            lines.append(line)
        return lines

    def _messages(
        self, user_part: str, lines: list[str], numbers: list[int], max_words: int, language: str
    ) -> list[dict[str, str]]:
        """The request's messages; `language` is the story's (a prompt before summarize.v4
        has no place for it, and writes in English)."""
        system_part = "system" if user_part == "user" else "merge-system"
        return self.prompt.messages(
            system_part,
            user_part,
            articles="\n".join(lines),
            partials="\n".join(lines),
            numbers=_numbers(numbers),
            max_words=max_words,
            language=language_name(language),
            attribution=attribution_form(language),
        )

    def _draft(
        self, proposals: list[Proposal], articles: list[Article], notes: list[str]
    ) -> Summary:
        """The model's sentences as a Summary, citations as given (the verifier checks them)."""
        sentences = [
            SummarySentence(
                text=text,
                citations=citations,
                article_ids=[articles[n - 1].id for n in citations if 1 <= n <= len(articles)],
            )
            for text, citations in proposals
        ]
        return Summary(
            sentences=sentences, backend=self.name, prompt=self.prompt.label, notes=notes
        )

    def _ask(
        self,
        model: str,
        messages: list[dict[str, str]],
        numbers: list[int],
        check: Callable[[str], T],
        call: _Call,
    ) -> tuple[T, str]:
        """`check`ed answer and the model that gave it; one repair when the answer is invalid."""
        response, answered, request = self._complete(model, messages, call)
        first_request = request
        content = _answer_text(response, answered)
        try:
            result = check(content)
        except InvalidAnswer as exc:
            self._beyond_repair(response, answered, exc)
            call.note(f"{answered} gave an invalid answer ({exc}); asked it once to repair it")
            repair = self.prompt.render("repair", error=str(exc), numbers=_numbers(numbers))
            messages = [
                *messages,
                {"role": "assistant", "content": self._shown_in_repair(content, messages, repair)},
                {"role": "user", "content": repair},
            ]
            response, answered, request = self._complete(answered, messages, call)
            try:
                result = check(_answer_text(response, answered))
            except InvalidAnswer as again:
                note = f"{answered}'s repaired answer was invalid too ({again})"
                raise _Invalid(answered, str(again), note) from again
        if self.cache is not None:  # under the answering model's name, fallbacks too
            self.cache.put(response, **request)
            if request is not first_request and first_request["model"] == request["model"]:
                self.cache.put(response, **first_request)  # repaired: asked first next time
        return result, answered

    def _beyond_repair(self, response: Any, model: str, exc: InvalidAnswer) -> None:
        """Raise _Invalid, with no repair asked for, when a repair could not mend the answer:
        cut at max_tokens before its JSON ended (the same limit would cut the repair again;
        a whole answer that is wrong is repaired as any other), or stopped by the provider's
        content filter (it had read as "the answer was empty", and was sent for repair)."""
        finish = getattr(response.choices[0], "finish_reason", None)
        if finish == "content_filter":
            note = (
                f"{model}'s provider refused to answer: its content filter stopped the answer "
                "(finish_reason 'content_filter'); no repair was asked for"
            )
            raise _Invalid(model, "stopped by the provider's content filter", note) from exc
        if finish == "length" and isinstance(exc, UnreadableAnswer):
            limit = self.budget.answer_tokens
            raise_it = (
                "raise DIGEST_LLM_MAX_OUTPUT_TOKENS"
                if limit >= self.settings.llm_max_output_tokens
                else "that is the model's own output limit: use a model that writes more"
            )
            note = (
                f"{model}'s answer was cut off at the {limit}-token output limit "
                f"before it was complete; {raise_it}"
            )
            raise _Invalid(model, f"cut off at {limit} tokens", note) from exc

    def _shown_in_repair(self, answer: str, messages: list[dict[str, str]], repair: str) -> str:
        """The invalid answer as quoted back in the repair request, cut so that the request
        and its answer still fit the context window (a long wrong answer would overflow it)."""
        used = sum(self.count(m["content"]) + _MESSAGE_TOKENS for m in messages)
        used += self.count(repair) + 2 * _MESSAGE_TOKENS
        room = self.budget.context_tokens - self.budget.answer_tokens - used - SAFETY_MARGIN
        if self.count(answer) <= room:
            return answer
        shown = truncate(answer, self.count, max(room - 4, 0))
        return f"{shown} …" if shown else "(the answer was too long to quote)"

    def _complete(
        self, model: str, messages: list[dict[str, str]], call: _Call
    ) -> tuple[Any, str, dict[str, Any]]:
        """One chat call through the Router (or the cache): response, the model that gave
        it, and that model's request (the cache key)."""
        request: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "temperature": self.settings.llm_temperature,
            "max_tokens": self.budget.answer_tokens,
        }
        started = time.perf_counter()
        try:
            response, answered, key, cached = self._down_the_chain(request, messages, call)
        finally:
            call.waited_s += time.perf_counter() - started
        if not cached:  # a cache hit's tokens and cost were reported by the call that made it
            self._count(response, call)
        return response, answered, key

    def _down_the_chain(
        self, request: dict[str, Any], messages: list[dict[str, str]], call: _Call
    ) -> tuple[Any, str, dict[str, Any], bool]:
        """The answer of the first model of the chain, from `request["model"]` on, that
        answers (the Router retries each one) or whose answer to this request is cached;
        which model that was, its request, and whether the answer came from the cache.
        The fallbacks are walked here, not by the Router, so that the notes say why each
        model before it failed ("did not answer" hid a bad key, wrong on every run), and a
        fallback's answer is cached under its own name like the main model's."""
        failed: list[tuple[str, Exception]] = []
        for model in self.chain[self.chain.index(request["model"]) :]:
            stopping.check()  # a cancelled job: no retry, repair or fallback call after it
            attempt = {**request, "model": model}
            if self._formats[model]:
                attempt["response_format"] = self._formats[model]
            key = {**attempt, "api_base": self._deployments[model].get("api_base")}
            cached = self.cache.get(**key) if self.cache is not None else None
            if cached is not None:
                call.cache_hits += 1
                call.note(f"{model}'s answer came from the cache (no tokens spent, no cost)")
            else:
                try:
                    self._check_key_not_refused(model)
                    response = self._send(attempt, messages, call)
                except Exception as exc:  # the Router re-raises the last provider error
                    self._remember_if_key_refused(model, exc)
                    failed.append((model, exc))
                    continue
            for name, exc in failed:
                call.note(f"{name} failed ({self._why(name, exc)}); {model} answered instead")
            with self._lock:
                self._last_failure.pop(model, None)  # it answers again: its error is past
            if cached is not None:
                return cached, model, key, True
            return response, model, key, False
        reasons = "; ".join(f"{name}: {self._why(name, exc)}" for name, exc in failed)
        raise _Unavailable(reasons) from failed[-1][1]

    def _check_key_not_refused(self, model: str) -> None:
        """Raise _KeyRefused when `model`'s server refused its key within KEY_REFUSED_FOR_S:
        every call would get the same answer, so none is sent."""
        with self._lock:
            when, why = self._refused.get(model, (0.0, ""))
        if why and time.monotonic() - when < KEY_REFUSED_FOR_S:
            minutes = round(KEY_REFUSED_FOR_S / 60)
            raise _KeyRefused(f"{why}; not asked again for {minutes} minutes")

    def _remember_if_key_refused(self, model: str, exc: Exception) -> None:
        if isinstance(exc, _KeyRefused) or not _refuses_key(exc):
            return
        why = self._why(model, exc)
        with self._lock:
            self._refused[model] = (time.monotonic(), why)

    def _key_setting(self, model: str) -> str:
        """Where the key sent to `model`'s server comes from: the setting to fix when it is
        refused."""
        sent = self._deployments[model].get("api_key")
        variable = f"{self._providers[model].upper()}_API_KEY"
        if sent == _NO_KEY:
            return f"DIGEST_API_KEY or {variable} (no key was sent)"
        if sent:
            return "DIGEST_API_KEY (the key sent)"
        if variable not in os.environ:
            return f"the key variable of {self._providers[model]!r}"
        if self._providers[model] == self._configured:
            return f"DIGEST_API_KEY or {variable} (the key sent was {variable})"
        return variable

    def _why(self, model: str, exc: Exception) -> str:
        """Why `model` failed, in words. A model the Router is cooling down after an error
        is refused at once: the reason given is that error, not "in cooldown" (a bad key
        read as a passing outage from the second story on)."""
        if isinstance(exc, _KeyRefused):
            return str(exc)
        if "cooldown" not in str(exc).lower():
            reason = describe_error(
                exc, self.settings.llm_timeout_s, self._secrets, key=self._key_setting(model)
            )
            with self._lock:
                self._last_failure[model] = reason
            return reason
        with self._lock:
            earlier = self._last_failure.get(model)
        if earlier:
            return f"{earlier}; not asked again while it cools down"
        return describe_error(
            exc, self.settings.llm_timeout_s, self._secrets, key=self._key_setting(model)
        )

    def _send(self, request: dict[str, Any], messages: list[dict[str, str]], call: _Call) -> Any:
        """`router.completion`, every call it sends charged to the shared rate limit.

        Inside a running event loop (a notebook, an async app) litellm moves a Router call
        to a thread of its own, where this thread's charges and key gate are not seen: the
        call is then made from a helper thread that has no loop."""
        if in_event_loop():
            with ThreadPoolExecutor(1, thread_name_prefix="llm-call") as helper:
                run = contextvars.copy_context().run  # the job's stop signal goes along
                return helper.submit(run, self._send, request, messages, call).result()
        with self._charged(messages, call), _key_gate():
            return self.router.completion(**request)

    @contextmanager
    def _charged(self, messages: list[dict[str, str]], call: _Call) -> Iterator[None]:
        """Charge every call the Router sends inside the block (retries and fallbacks too) to
        the shared rate limit, when one is set (`router_budget.py`); the wait is in the
        Router's time, which `_complete` already counts."""
        if self.rate_limit is None:
            yield
            return
        tokens = sum(self.count(m["content"]) for m in messages) + self.budget.answer_tokens
        with charging(self.rate_limit, tokens) as charges:
            try:
                yield
            finally:
                if charges.waited_s >= 0.1:
                    call.note(
                        f"waited {charges.waited_s:.1f} s for room in the shared rate limit "
                        f"({charges.calls} call(s) charged)"
                    )

    def _count(self, response: Any, call: _Call) -> None:
        """Add what a call the server answered spent (cache hits spend nothing)."""
        usage = getattr(response, "usage", None)
        call.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        call.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        litellm = import_litellm()
        try:
            cost = float(litellm.completion_cost(completion_response=response))
        except Exception:  # a model without a price (a local server): its cost is unknown
            cost = 0.0
        # litellm prices a model it does not know at 0: unknown, as the exception is
        if cost > 0:
            call.cost_usd += cost
            call.priced_calls += 1
        else:
            call.unpriced_calls += 1

    # --- after verification -------------------------------------------------------
    def _finish(self, summary: Summary, articles: list[Article], max_words: int) -> Summary:
        """Attribute single-source sentences, drop repeats, then keep what fits the word
        budget (counted in words of any script, with room for "the same report")."""
        outlets = [a.outlet for a in articles if a.outlet]
        days = report_days(articles)
        growth = unnamed_growth(days)
        kept: list[SummarySentence] = []
        dropped = list(summary.dropped)
        notes = list(summary.notes)
        words = 0
        seen: set[str] = set()
        for sentence in summary.sentences:
            text = sentence.text
            wording = plain_words(text)
            if wording in seen:
                dropped.append(DroppedSentence(text=text, reason=REPEATED))
                continue
            seen.add(wording)
            cited_texts = [articles[n - 1].text for n in sentence.citations]
            invented = _invented_source(text, outlets, cited_texts)
            if invented:
                notes.append(
                    f"an attribution to {invented!r}, which no cited article names, was replaced"
                )
            if len(articles) > 1 and len(sentence.citations) == 1:
                source = articles[sentence.citations[0] - 1]
                language = story_language([source])  # as the model was asked to write it
                text = _attributed(
                    text, source.outlet, outlets, invented=bool(invented), language=language
                )
            elif len(sentence.citations) > 1:
                cited = {articles[n - 1].outlet for n in sentence.citations}
                text = _without_other_outlet(text, cited, outlets, invented=bool(invented))
            elif invented:
                text = _unsourced(text, outlets)
            length = sequenced_length(text, growth)
            if words + length > max_words:
                dropped.append(
                    DroppedSentence(
                        text=sentence.text, reason=OVER_BUDGET.format(max_words=max_words)
                    )
                )
                continue
            words += length
            kept.append(sentence.model_copy(update={"text": text}))
        kept = vary_unnamed_reports(kept, days)
        if len(dropped) > MAX_DROPPED_LISTED:  # a model that loops wrote 900 repeats
            notes.append(
                f"{len(dropped) - MAX_DROPPED_LISTED} more sentences of the answer were dropped "
                f"(unsupported, repeats or over the budget); only the first "
                f"{MAX_DROPPED_LISTED} are listed"
            )
            dropped = dropped[:MAX_DROPPED_LISTED]
        return summary.model_copy(update={"sentences": kept, "dropped": dropped, "notes": notes})


def _answer_text(response: Any, model: str) -> str:
    """The text of a reply's answer; _Invalid, with no repair asked for, when the reply
    holds no answer at all: `"choices": []`, which some proxies and content filters send
    with HTTP 200 (it had crashed the whole run)."""
    choices = getattr(response, "choices", None) or []
    if not choices:
        note = (
            f'{model}\'s reply held no answer (an empty "choices" list: a proxy or the '
            "provider's content filter may have withheld it)"
        )
        raise _Invalid(model, "no answer in the reply", note)
    message = getattr(choices[0], "message", None)
    return getattr(message, "content", None) or ""


def _within_reason(proposals: list[Proposal], max_words: int) -> tuple[list[Proposal], str | None]:
    """The answer's first sentences, as many as the word budget could ever use and then
    some, and a note when more were cut: a server that ignores `max_tokens` sent 20,000
    sentences, and verifying each one took minutes of CPU."""
    readable = READ_SENTENCES_MIN + max_words // 5  # budget / 5 words: far beyond any summary
    if len(proposals) <= readable:
        return proposals, None
    return proposals[:readable], (
        f"the answer held {len(proposals)} sentences, far more than {max_words} words "
        f"take; only the first {readable} were read"
    )


def _invented_source(text: str, outlets: list[str], cited_texts: list[str]) -> str | None:
    """The source an "According to X," (or "..., according to X.") names when X is neither
    one of the story's outlets nor named in an article the sentence cites ("According to The
    New York Times" on a Reuters report): the model made the attribution up. None when it is
    grounded, as "according to the police" is in an article that quotes the police."""
    if named := ACCORDING.match(text):
        name = named.group(1)
    elif cited := cited_source(text):  # read only when no source opens the sentence
        name = cited[0]
    else:
        return None
    if name in outlets or UNNAMED_REPORT.fullmatch(name):
        return None
    words = content_words(name)  # "the country's health ministry": its words are there
    proper = " ".join(w for w in name.split() if w[:1].isupper() and w.lower() != "the")
    for cited in cited_texts:  # ... and a name is there as written: "New York Times"
        if words <= content_words(cited) and proper.lower() in cited.lower():
            return None
    return name


def _without_other_outlet(
    text: str, cited: set[str | None], outlets: list[str], *, invented: bool = False
) -> str:
    """A sentence several articles support, without its credit to an outlet it does not cite
    ("According to X, ...", "X says that ...": the verifier moved its citations) or to a
    source none of them names (`invented`); other sources ("the police") stay."""
    if invented:
        return _unsourced(text, outlets)
    named = credited_outlet(text, outlets)
    if named and named not in cited:
        return without_credit(text, outlets) or text  # the verifier drops what it cannot mend
    return text


def _unsourced(text: str, outlets: list[str]) -> str:
    """The claim without any attribution: "According to X, ..." and "..., according to X."
    both go (X was made up)."""
    claim = claim_of(text, outlets)
    cited = cited_source(claim)
    return cited[1][:1].upper() + cited[1][1:] if cited else claim


def _attributed(
    text: str,
    outlet: str | None,
    outlets: list[str],
    *,
    invented: bool = False,
    language: str = ENGLISH,
) -> str:
    """A single-source sentence attributed to its one outlet (and not to another outlet, in
    any wording `credited_outlet` reads, nor to a source the article does not name:
    `invented`)."""
    if invented:  # a made-up source
        return attribute(_unsourced(text, outlets), outlet, language=language)
    named = credited_outlet(text, outlets)
    if named and named == outlet:  # "Outlet A quoted ...": credited already
        return text
    if named and outlet:  # an outlet that does not support it ("Outlet B says that ...")
        return attribute(without_credit(text, outlets) or text, outlet, language=language)
    claim = claim_of(text, outlets)
    if claim == text:
        return attribute(claim, outlet, language=language)
    return text
