"""Secrets never reach what users read: notes built from provider errors and api bases."""

from __future__ import annotations

from service.config import Settings
from service.redact import HIDDEN, known_secrets, redacted


def test_known_keys_and_key_shaped_strings_are_hidden() -> None:
    text = "Incorrect API key provided: Bearer sk-live-SUPERSECRET-0123456789. Check it."
    shown = redacted(text, ["sk-live-SUPERSECRET-0123456789"])
    assert "SUPERSECRET" not in shown and HIDDEN in shown
    assert "SUPERSECRET" not in redacted(text)  # key-shaped even when not known
    assert "abcdef123456" not in redacted("the key abcdef123456 was refused", ["abcdef123456"])
    assert redacted("a plain error with no key: HTTP 500") == "a plain error with no key: HTTP 500"


def test_addresses_lose_their_credentials_and_secret_parameters() -> None:
    note = "rate limit for openai/m@http://bob:hunter2pw@127.0.0.1:8/v1?key=QKEY123&x=1 full"
    shown = redacted(note)
    assert "hunter2pw" not in shown and "bob" not in shown and "QKEY123" not in shown
    assert "http://127.0.0.1:8/v1?key=" in shown and "&x=1" in shown


def test_an_html_error_page_is_read_as_its_words() -> None:
    page = "HTTP 502: <html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
    assert redacted(page) == "HTTP 502: 502 Bad Gateway nginx"


def test_the_process_knows_its_own_keys(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "anthropic-secret-value")
    secrets = known_secrets(Settings(api_key="digest-secret-value"))
    assert {"anthropic-secret-value", "digest-secret-value"} <= set(secrets)


def test_a_known_key_is_hidden_before_an_error_is_cut_to_its_first_line() -> None:
    import litellm

    from service.backends.summarizers.llm import describe_error

    secret = "Zq8vN3xT0pLm4RkW9sYb2HcJ6dFg1AeU"  # no recognisable shape: only known
    message = "x" * 120 + f" key used in the request, {secret} is not valid"
    error = litellm.APIError(status_code=400, message=message, llm_provider="openai", model="m")
    shown = describe_error(error, 60, [secret])
    assert "Zq8vN3xT0pLm4" not in shown and "HTTP 400" in shown


def test_ordinary_words_and_comparisons_are_left_alone() -> None:
    for text in ("Pass basic authentication please", "value <5 and >3 here", "Bearer of news"):
        assert redacted(text) == text
    assert "abc123def456ghi" not in redacted("Authorization: Bearer abc123def456ghi")
