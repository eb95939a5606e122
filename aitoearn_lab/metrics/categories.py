"""Failure categories from ordered rules: whose move it is after a task fails.

A category says whose move it is: ``moderation`` and ``invalid_input`` are fixed by changing the
request, ``quota`` by topping up credits, ``timeout`` and ``upstream`` are the platform's or its
provider's, ``other`` is everything no rule names. Rules are tried in order and the first match
wins, so the more specific ones (a timeout reported by the upstream provider) come first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import pandas as pd

DEFAULT_RULES: Final[Mapping[str, str]] = {
    "moderation": r"sensitive|moderation|safety review|blocked|rejected by|nsfw|policy",
    "quota": r"insufficient (?:credit|balance|fund)|credits?\b.*balance|quota|spend(?:ing)? limit"
    r"|out of credits|payment required",
    "timeout": r"timed? ?out|timeout|deadline exceeded",
    "invalid_input": r"failed to download input|too (?:small|large|big|long|short)|not supported"
    r"|unsupported|exceeds the maximum|invalid|malformed|bad image|must be at least",
    "upstream": r"upstream|relay|provider|internal error|worker exited|\b50[234]\b"
    r"|service unavailable|rate limit",
}
"""Category -> regular expression (case-insensitive), in the order they are tried."""

CATEGORIES: Final = (*DEFAULT_RULES, "other")
OTHER: Final = "other"


def compile_rules(rules: Mapping[str, str] | None = None) -> list[tuple[str, re.Pattern[str]]]:
    """The user's rules first (in their order), then the defaults; each pattern compiled.

    Raises a ValueError naming the category whose pattern does not compile.
    """
    ordered: list[tuple[str, re.Pattern[str]]] = []
    for category, pattern in [*(rules or {}).items(), *DEFAULT_RULES.items()]:
        try:
            ordered.append((str(category), re.compile(pattern, re.IGNORECASE)))
        except re.error as error:
            raise ValueError(
                f"rules[{category!r}] must be a regular expression; got {pattern!r} ({error})"
            ) from error
    return ordered


def categorize(
    messages: pd.Series | list[str], rules: Mapping[str, str] | None = None
) -> list[str]:
    """The category of each message (or signature): the first rule whose pattern it contains.

    Examples
    --------
    >>> categorize(["Insufficient credits: this generation needs 120 credits, balance is 3"])
    ['quota']
    >>> categorize(["Upstream generation timed out after 900 s"], {"mine": "after 900"})
    ['mine']
    """
    compiled = compile_rules(rules)
    found: dict[object, str] = {}
    result = []
    for message in list(messages):
        if message not in found:
            text = message if isinstance(message, str) else ""
            found[message] = next((c for c, p in compiled if p.search(text)), OTHER)
        result.append(found[message])
    return result
