"""Reading grade of prose, Flesch-Kincaid, with textstat's syllable counts (pyphen).

textstat's own whole-text functions re-tokenise the text for every measure and take about
0.1 s per article; counting syllables per distinct word, cached, gives the same grade in a
few milliseconds, so every import can afford it.
"""

from __future__ import annotations

import functools
import re

import textstat

WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
SENTENCE_END_RE = re.compile(r"[.!?]+(?=\s|$)")
MIN_WORDS = 100  # shorter texts give grades that mean nothing
# WORD_RE, several times faster, for a text whose only non-ASCII letter is ’: the other
# non-ASCII characters then never sit inside a word, and become spaces.
_ASCII_WORD_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f’]")
_LETTER_RE = re.compile(r"[^\W\d_]")


def words_of(text: str) -> list[str]:
    """WORD_RE.findall(text)."""
    if text.isascii():
        return _ASCII_WORD_RE.findall(text)
    others = set(_NON_ASCII_RE.findall(text))
    if any(_LETTER_RE.match(char) for char in others):
        return WORD_RE.findall(text)
    return _ASCII_WORD_RE.findall(_NON_ASCII_RE.sub(" ", text) if others else text)


def lowered_words_of(text: str) -> list[str]:
    """[word.lower() for word in words_of(text)]: on the fast paths, whose text is ASCII and ’
    alone, lowering the text once lowers each word the same (the letters A-Z only)."""
    if text.isascii():
        return _ASCII_WORD_RE.findall(text.lower())
    others = set(_NON_ASCII_RE.findall(text))
    if any(_LETTER_RE.match(char) for char in others):
        return [word.lower() for word in WORD_RE.findall(text)]
    return _ASCII_WORD_RE.findall((_NON_ASCII_RE.sub(" ", text) if others else text).lower())


@functools.lru_cache(maxsize=200_000)
def syllables(word: str) -> int:
    return max(1, textstat.syllable_count(word))


def flesch_kincaid_grade(text: str) -> float | None:
    words = lowered_words_of(text)
    if len(words) < MIN_WORDS:
        return None
    sentences = max(1, len(SENTENCE_END_RE.findall(text)))
    total = sum(map(syllables, words))
    return round(0.39 * len(words) / sentences + 11.8 * total / len(words) - 15.59, 1)
