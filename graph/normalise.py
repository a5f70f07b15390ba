"""Normal forms of names, postcodes and identifiers, shared by stores, loaders and questions."""

from __future__ import annotations

import functools
import re
import unicodedata

import jellyfish

from graph.nicknames import variants_of

# Anything but a letter of any script splits a name into words.
_NON_LETTERS = re.compile(r"[\W\d_]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, accents removed, so `Zoë` and `ZOE` compare equal."""
    if text.isascii():  # most names: nothing to decompose, and casefold is lower
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=1 << 16)
def _words(part: str) -> tuple[str, ...]:
    # A borough's names repeat: linking a million records folds the same few thousand.
    return tuple(t for t in _NON_LETTERS.split(fold(part)) if t)


def name_tokens(*parts: str) -> list[str]:
    """The words of a name, folded, split on spaces, hyphens and apostrophes.

    >>> name_tokens("Mary-Jane", "O'Neill")
    ['mary', 'jane', 'o', 'neill']
    >>> name_tokens("李", "明")
    ['李', '明']
    """
    tokens: list[str] = []
    for part in parts:
        if part:
            tokens.extend(_words(part))
    return tokens


def normalise_name(*parts: str) -> str:
    """One comparable string for a name: folded words joined by single spaces."""
    return " ".join(name_tokens(*parts))


def normalise_postcode(text: str) -> str:
    """Upper case, one space before the inward code: ` eb14qt ` becomes `EB1 4QT`.

    >>> normalise_postcode(" eb14qt ")
    'EB1 4QT'
    """
    compact = _SPACES.sub("", text or "").upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def sounds_like(token: str) -> str:
    """A phonetic key (Metaphone): `Catherine` and `Kathryn` both give `~K0RN`."""
    return "~" + jellyfish.metaphone(token)


def name_keys(*parts: str) -> set[str]:
    """What a person's name is indexed under: its words and how each sounds."""
    tokens = name_tokens(*parts)
    return set(tokens) | {sounds_like(t) for t in tokens}


def query_keys(text: str) -> set[str]:
    """What a searched name looks under: its words, their short and long forms, their sounds."""
    keys: set[str] = set()
    for token in name_tokens(text):
        for variant in variants_of(token):
            keys |= {variant, sounds_like(variant)}
    return keys
