"""The wire: one task, many tasks; session, cache, retries, concurrency."""

from __future__ import annotations

from aitoearn_lab.client.api import Client
from aitoearn_lab.client.outcomes import FetchStats, Outcome

__all__ = ["Client", "FetchStats", "Outcome"]
