"""The client's account-wide methods: ``sync`` (every task, no IDs needed), ``models``, and the
one step from outcomes to the tasks DataFrame that ``fetch`` and ``sync`` share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aitoearn_lab._gc import collector_paused
from aitoearn_lab.client.cache import TaskCache
from aitoearn_lab.client.holdings import Holdings
from aitoearn_lab.client.listing import SyncStats
from aitoearn_lab.config import redact_error
from aitoearn_lab.errors import AiToEarnError
from aitoearn_lab.schema import API_KEY_HEADER

if TYPE_CHECKING:
    import pandas as pd

    from aitoearn_lab.client.outcomes import Outcome


class AccountMethods:
    """Mixed into :class:`~aitoearn_lab.Client`; uses its session, cache and settings."""

    last_sync: SyncStats = SyncStats()
    """Counts from the last :meth:`sync` (list pages, tasks listed, held, asked again by ID)."""
    _cache: TaskCache | None
    not_found_ttl: float

    def sync(
        self, *, since: Any = None, max_tasks: int | None = None, progress: bool = True
    ) -> pd.DataFrame:
        """Every task of the account, from the list endpoint, into the tasks DataFrame.

        Needs no task IDs: the server lists the key's own tasks, 1,000 a page, newest first.
        Each listed task is stored in the cache as a fetched one would be. A later sync with the
        same cache pages only down to the newest task the last one saw, then asks again, by ID,
        only the unfinished tasks it holds; the frame still holds every task of the account
        (finished ones come from the cache). See :mod:`aitoearn_lab.client.listing`.

        Parameters
        ----------
        since
            Only tasks created at or after this moment (a datetime, date, ISO 8601 string or
            Unix seconds; UTC when no zone is given). Paging stops at older tasks.
        max_tasks
            At most this many of the newest tasks.
        progress
            Show a progress bar counted in tasks.

        Returns
        -------
        pandas.DataFrame
            One row per task, newest first; see ``client.last_sync`` for counts.

        Raises
        ------
        ListingUnavailableError
            The server has no list endpoint: fetch the tasks by ID instead.
        AuthenticationError
            The key was refused.
        TransportError
            A page got no usable answer after every retry (pages before it stay in the cache).

        Examples
        --------
        >>> tasks = client.sync(since="2026-07-01")  # doctest: +SKIP
        >>> client.last_sync.describe()  # doctest: +SKIP
        """
        from aitoearn_lab.client.listing import sync_outcomes

        try:
            outcomes, stats = sync_outcomes(
                self,  # type: ignore[arg-type]
                since=since,
                max_tasks=max_tasks,
                progress=progress,
            )
        except AiToEarnError as error:  # cleared of the key, in case a server echoed it
            key = self._key_headers()[API_KEY_HEADER]  # type: ignore[attr-defined]
            raise redact_error(error, key) from None
        self.last_sync = stats
        return self._frame(outcomes)

    def models(self) -> pd.DataFrame:
        """The video models the server offers now (``GET /api/ai/models/video/generation``).

        No key is needed and none is sent.

        Returns
        -------
        pandas.DataFrame
            One row per model: ``name``, ``channel``, ``modes``, ``resolutions``,
            ``durations``, ``aspect_ratios``, ``default_resolution``, ``default_aspect_ratio``,
            ``default_duration``, ``description``. Pass it to ``data_notes(df, models=...)`` or
            ``Report(df, models=...)`` to learn which models' finish times carry the delay of
            the server's 30-second poller.

        Examples
        --------
        >>> client.models()[["name", "channel"]]  # doctest: +SKIP
        """
        from aitoearn_lab.client.model_list import ask_models

        return ask_models(
            self._session,  # type: ignore[attr-defined]
            self.base_url,  # type: ignore[attr-defined]
            settings=self.settings,  # type: ignore[attr-defined]
            sleep=self._sleep,  # type: ignore[attr-defined]
        )

    def cache_size(self) -> int:
        """How many answers the cache holds for this key and site (0 without a cache)."""
        return len(self._cache) if self._cache is not None else 0

    def clear_cache(self) -> int:
        """Forget this key's stored answers and sync mark (other keys' stay); return how many."""
        if self._cache is None:
            return 0
        Holdings(self._cache).forget()
        return self._cache.clear()

    def _ttls(self, pending_ttl: float) -> dict[str, float]:
        return {"pending_ttl": pending_ttl, "not_found_ttl": self.not_found_ttl}

    def _frame(self, outcomes: list[Outcome]) -> pd.DataFrame:
        """The tasks DataFrame of ``outcomes``, one row each, in their order."""
        from aitoearn_lab.frame.build import FetchInfo, build_frame

        with collector_paused():  # bulk work on every record: see aitoearn_lab._gc
            info = FetchInfo(
                task_ids=[o.task_id for o in outcomes],
                api_codes=[o.api_code for o in outcomes],
                fetch_errors=[None if o.error is None else str(o.error) for o in outcomes],
                fetched_at=[o.fetched_at for o in outcomes],
                from_cache=[o.from_cache for o in outcomes],
                request_ids=[o.request_id for o in outcomes],
            )
            return build_frame([o.record for o in outcomes], info)
