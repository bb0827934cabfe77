"""Word stems: "ruled", "ruling" and "rules" as one word ("rule").

Why one module: the extractive backend compares stemmed sentences (one fact reworded),
and the support judge compares a claim's verbs with the ones an article hedges ("caused"
against "may cause"): both want the same stems, cached once per process.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import snowballstemmer

_STEMMERS = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a lower-case word."""
    # snowballstemmer hands out PyStemmer's C build of the same algorithm (~3 us a word; the
    # pure-Python one, used when PyStemmer is missing, costs ~45 us); a story repeats its words
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)
