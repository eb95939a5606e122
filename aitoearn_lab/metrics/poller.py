"""Which models' finish times carry the 30-second detection delay of the server's poller."""

from __future__ import annotations

from typing import Final

import pandas as pd

POLLED_CHANNELS: Final = frozenset({"dashscope", "grok", "relay"})
"""Channels whose ``finishedAt`` is when the server's poller, every 30 s, saw the task end."""

PROVIDER_TIMED_CHANNELS: Final = frozenset({"volcengine", "openai"})
"""Channels whose ``finishedAt`` comes from the provider's own completion time."""

POLL_INTERVAL_S: Final = 30


def poller_delay_note(df: pd.DataFrame, models: pd.DataFrame) -> str | None:
    """One sentence naming the models of ``df`` whose finish times carry poller delay.

    Parameters
    ----------
    df
        The tasks DataFrame (its ``model`` column).
    models
        From :meth:`aitoearn_lab.Client.models`: at least ``name`` and ``channel``.

    Returns
    -------
    str or None
        None when no model of ``df`` is in ``models``.
    """
    if "name" not in models or "channel" not in models or "model" not in df:
        return None
    channel_of = {
        str(name): str(channel).strip().lower()
        for name, channel in zip(models["name"], models["channel"], strict=True)
        if isinstance(channel, str)
    }
    used = sorted(str(m) for m in df["model"].dropna().unique())
    polled = [m for m in used if channel_of.get(m) in POLLED_CHANNELS]
    timed = [m for m in used if channel_of.get(m) in PROVIDER_TIMED_CHANNELS]
    if not polled and not timed:
        return None
    parts: list[str] = []
    if polled:
        parts.append(
            f"Finish times of {_names(polled, channel_of)} are when the server's poller "
            f"noticed the end (it looks every {POLL_INTERVAL_S} s), so their render_s and "
            f"total_s run up to {POLL_INTERVAL_S} s long; compare these models with each "
            f"other, and differences under {POLL_INTERVAL_S} s with care."
        )
    if timed:
        parts.append(
            f"Finish times of {_names(timed, channel_of)} come from the provider's own "
            "completion time, without that delay."
        )
    unknown = [m for m in used if m not in channel_of]
    if unknown and (polled or timed):
        parts.append(f"{len(unknown):,} model(s) of the data are not in the models list.")
    return " ".join(parts)


def _names(models: list[str], channel_of: dict[str, str]) -> str:
    shown = ", ".join(f"{m} ({channel_of[m]})" for m in models[:6])
    return shown + (f" and {len(models) - 6} more" if len(models) > 6 else "")
