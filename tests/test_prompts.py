"""Every shipped prompt renders; versions are found, pinned and reported; errors say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.errors import ConfigError
from service.prompts import PROMPTS_DIR, available, load_prompt

VALUES = {
    "articles": "{}",
    "partials": "{}",
    "numbers": "1 to 3",
    "max_words": 120,
    "error": "x",
    "language": "English",
    "attribution": "According to <outlet>, ...",
}


def test_every_shipped_prompt_renders_with_no_placeholder_left() -> None:
    found = available()
    assert "summarize" in found
    for name, versions in found.items():
        for version in versions:
            prompt = load_prompt(name, version, required=())
            assert prompt.parts, prompt.id
            for part in prompt.parts:
                text = prompt.render(part, **VALUES)
                assert "$" not in text, f"{prompt.id}.{part} left a placeholder"


def test_summarize_prompt_carries_the_safety_rules() -> None:
    prompt = load_prompt("summarize")
    system = prompt.render("system", **VALUES).lower()
    assert "neutral" in system and "according to" in system and "disagree" in system
    assert "ignore previous instructions" in system  # article text is data, not orders
    user = prompt.render("user", **VALUES)
    assert "<articles>\n{}\n</articles>" in user


def _write(folder: Path, name: str, version: int, **parts: str) -> None:
    for part, text in parts.items():
        (folder / f"{name}.v{version}.{part}.txt").write_text(text)


def test_newest_version_by_default_pinned_on_request(tmp_path: Path) -> None:
    _write(tmp_path, "brief", 1, system="old $x", user="u")
    _write(tmp_path, "brief", 2, system="new $x", user="u")
    _write(tmp_path, "brief", 10, system="newest $x", user="u")
    assert available(tmp_path) == {"brief": [1, 2, 10]}
    assert load_prompt("brief", directory=tmp_path).version == 10
    pinned = load_prompt("brief", 2, directory=tmp_path)
    assert pinned.messages("system", "user", x="X")[0] == {"role": "system", "content": "new X"}
    assert pinned.label.startswith("brief.v2#") and len(pinned.label) == len("brief.v2#") + 8


def test_label_changes_when_a_file_changes(tmp_path: Path) -> None:
    _write(tmp_path, "brief", 1, system="s", user="u")
    before = load_prompt("brief", directory=tmp_path).label
    _write(tmp_path, "brief", 1, user="u, edited")
    assert load_prompt("brief", directory=tmp_path).label != before


def test_values_are_inserted_verbatim_not_interpreted(tmp_path: Path) -> None:
    _write(tmp_path, "brief", 1, system="s", user="data: $articles")
    text = load_prompt("brief", directory=tmp_path).render("user", articles="$max_words {x} ${y}")
    assert text == "data: $max_words {x} ${y}"


def test_errors_name_what_exists_and_what_to_fix(tmp_path: Path) -> None:
    _write(tmp_path, "brief", 1, system="$missing", user="u")
    with pytest.raises(ConfigError, match=r"brief\.v3 not found") as missing:
        load_prompt("brief", 3, directory=tmp_path)
    assert "available: brief.v1" in missing.value.user_message
    with pytest.raises(ConfigError, match="lacks the part"):
        load_prompt("brief", directory=tmp_path, required=("system", "repair"))
    with pytest.raises(ConfigError, match="missing or bad placeholder"):
        load_prompt("brief", directory=tmp_path).render("system")
    with pytest.raises(ConfigError, match="no 'merge' part"):
        load_prompt("brief", directory=tmp_path).render("merge")


def test_shipped_prompts_live_in_the_project_prompts_folder() -> None:
    assert PROMPTS_DIR.name == "prompts"
    assert (PROMPTS_DIR / "summarize.v1.system.txt").is_file()
