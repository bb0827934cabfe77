"""The service's error tree. Errors of other libraries are translated into these at the edge.

ServiceError                 base; `user_message` is safe to show, `status` is the HTTP code
├── InputError (400/422)     the caller's input is wrong; nothing was processed
│   ├── IngestError          a file or record could not be read (says which, and where)
│   └── EmptyInputError      no article with text was given
├── BackendError (502)       a summarizer or embedder backend failed
└── ConfigError (500)        the service is misconfigured (says which setting to fix)
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: every error the service raises on purpose."""

    status: int = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def user_message(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(ServiceError):
    status = 422


class IngestError(InputError):
    """A file or record could not be read; `location` names the file and line."""

    def __init__(self, message: str, *, location: str | None = None, hint: str | None = None):
        super().__init__(f"{location}: {message}" if location else message, hint=hint)
        self.location = location


class TextTooLargeError(IngestError):
    """An article's text over DIGEST_MAX_ARTICLE_BYTES. One far over it is refused before
    it is cleaned: cleaning a 50 MB text took half a minute, and in the API held the GIL
    from every other request, only for the text to be refused after."""

    status = 413

    def __init__(
        self, article_id: str, size: int, limit: int, *, location: str | None = None
    ) -> None:
        super().__init__(
            f"article {article_id!r} has {size} bytes of text; the limit is {limit}",
            location=location,
            hint="give the story's text without page furniture, raise "
            "DIGEST_MAX_ARTICLE_BYTES, or pass --skip-invalid to leave such articles out",
        )
        self.article_id, self.size, self.limit = article_id, size, limit


class EmptyInputError(InputError):
    status = 400


class UnknownBackendError(InputError):
    status = 422


class BackendError(ServiceError):
    status = 502


class ConfigError(ServiceError):
    status = 500

    def __str__(self) -> str:
        """With the hint: a ConfigError often stops a process (uvicorn, a worker) whose
        traceback prints only str(), and the hint is the setting to fix."""
        return self.user_message
