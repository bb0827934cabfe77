"""Versioned prompt templates: `prompts/<name>.v<N>.<part>.txt`, one file per part.

In: a prompt name (and optionally a version). Out: a `Prompt` whose parts
(`system`, `user`, and any others such as `repair`) render to text, and which
says its name, version and content hash, so every summary records exactly which
prompt wrote it. A released version is never edited; a change is a new version
(`summarize.v3.*`), and the newest is used unless one is pinned. All parts of one
version travel together, so pinning a version pins every part.
Templates use `$name` placeholders (string.Template): JSON braces in a prompt
need no escaping, and values are inserted verbatim, never interpreted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Template

from service.errors import ConfigError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_FILE = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>\d+)\.(?P<part>[a-z][a-z0-9_-]*)\.txt$"
)


@dataclass(frozen=True)
class Prompt:
    """One version of one prompt: its parts by name ('system', 'user', 'repair', ...)."""

    name: str
    version: int
    parts: Mapping[str, str]

    @property
    def id(self) -> str:
        """Name and version, e.g. 'summarize.v1'."""
        return f"{self.name}.v{self.version}"

    @property
    def sha(self) -> str:
        """First 8 hex digits of the SHA-256 of every part, so an edited file shows."""
        digest = hashlib.sha256()
        for part in sorted(self.parts):
            digest.update(f"{part}\0{self.parts[part]}\0".encode())
        return digest.hexdigest()[:8]

    @property
    def label(self) -> str:
        """What a summary records, e.g. 'summarize.v1#1f2e3d4c'."""
        return f"{self.id}#{self.sha}"

    def render(self, part: str, **values: object) -> str:
        """One part with every `$placeholder` filled; ConfigError names what is missing."""
        if part not in self.parts:
            raise ConfigError(
                f"prompt {self.id} has no {part!r} part",
                hint=f"add {self.id}.{part}.txt to the prompts folder",
            )
        try:
            return Template(self.parts[part]).substitute({k: str(v) for k, v in values.items()})
        except (KeyError, ValueError) as exc:
            raise ConfigError(
                f"prompt {self.id}.{part} cannot be rendered: missing or bad placeholder {exc}",
                hint="fix the template file or pass the value",
            ) from exc

    def messages(self, system: str, user: str, **values: object) -> list[dict[str, str]]:
        """Chat messages from a system part and a user part."""
        return [
            {"role": "system", "content": self.render(system, **values)},
            {"role": "user", "content": self.render(user, **values)},
        ]


def _directory(directory: Path | None) -> Path:
    if directory is not None:
        return directory
    if PROMPTS_DIR.is_dir():
        return PROMPTS_DIR
    return Path.cwd() / "prompts"  # an installed package run from the project folder (Docker)


def available(directory: Path | None = None) -> dict[str, list[int]]:
    """Each prompt name and its versions, oldest first."""
    found: dict[str, set[int]] = {}
    folder = _directory(directory)
    if folder.is_dir():
        for path in folder.iterdir():
            match = _FILE.match(path.name)
            if match:
                found.setdefault(match["name"], set()).add(int(match["version"]))
    return {name: sorted(versions) for name, versions in sorted(found.items())}


def load_prompt(
    name: str,
    version: int | None = None,
    *,
    directory: Path | None = None,
    required: tuple[str, ...] = ("system", "user"),
) -> Prompt:
    """The prompt `name` at `version` (the newest when None); ConfigError says what exists."""
    folder = _directory(directory)
    found = available(folder)
    versions = found.get(name, [])
    if not versions or (version is not None and version not in versions):
        wanted = f"{name}.v{version}" if version is not None else name
        have = ", ".join(f"{n}.v{v}" for n, vs in found.items() for v in vs)
        raise ConfigError(
            f"prompt {wanted} not found in {folder}",
            hint=f"available: {have or 'none'}; "
            "set DIGEST_LLM_PROMPT_VERSION or DIGEST_PROMPTS_DIR",
        )
    chosen = version if version is not None else versions[-1]
    parts = {}
    for path in sorted(folder.glob(f"{name}.v{chosen}.*.txt")):
        match = _FILE.match(path.name)
        if match and match["name"] == name and int(match["version"]) == chosen:
            parts[match["part"]] = path.read_text(encoding="utf-8")
    missing = [part for part in required if part not in parts]
    if missing:
        raise ConfigError(
            f"prompt {name}.v{chosen} lacks the part(s) {', '.join(missing)}",
            hint=f"add {', '.join(f'{name}.v{chosen}.{p}.txt' for p in missing)} to {folder}",
        )
    return Prompt(name, chosen, parts)
