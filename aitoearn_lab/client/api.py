"""One task, many tasks: the HTTP session, cache policy, retries, concurrency and progress.

``Client.fetch`` is the heart of the package. For a list of task IDs it

1. normalises them (strip, de-duplicate, keep first-seen order) and rejects, without a request,
   any that cannot be a task ID;
2. reads every stored answer in bulk and keeps the fresh ones (finished tasks for good,
   unfinished ones for ``pending_ttl`` seconds);
3. asks the API for the rest with ``workers`` threads over one pooled session, retrying 429, 5xx,
   dropped connections, timeouts and malformed bodies with backoff and jitter, honouring
   ``Retry-After``, optionally capped in requests per second;
4. saves each good answer the moment it arrives, from one thread, so an interrupted run loses
   nothing that was answered;
5. returns one row per unique ID; a failed ID is a row with ``api_code`` and ``fetch_error``.

A refused API key (401, 403, code 19000) stops the batch at once: every other call would fail
the same way.

The outcome types and the local ID checks are in :mod:`aitoearn_lab.client.outcomes`; the retry
loop of one ID and the concurrency of many are in :mod:`aitoearn_lab.client.asking`.
"""

from __future__ import annotations

import inspect
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from aitoearn_lab import schema
from aitoearn_lab._gc import collector_paused
from aitoearn_lab.client.account import AccountMethods
from aitoearn_lab.client.asking import ask_many, ask_until_answered
from aitoearn_lab.client.cache import TaskCache
from aitoearn_lab.client.outcomes import (
    FetchStats,
    Outcome,
    all_plain,
    local_problem,
    normalize_ids,
)
from aitoearn_lab.client.retry import RateLimiter
from aitoearn_lab.client.session import new_session, progress_bar
from aitoearn_lab.client.storing import cached_outcome, checked_ttl, store_outcome
from aitoearn_lab.config import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_NOT_FOUND_TTL,
    DEFAULT_PENDING_TTL,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    FetchSettings,
    key_scope,
    mask_key,
    redact_error,
    redact_key,
    resolve_api_key,
    resolve_base_url,
    resolve_cache_path,
)
from aitoearn_lab.errors import AuthenticationError, CacheError

if TYPE_CHECKING:
    import pandas as pd


class Client(AccountMethods):
    """A client for the AiToEarn video task API, with a status-aware answer cache.

    Parameters
    ----------
    api_key
        Default: ``AITOEARN_API_KEY``. Sent as ``X-Api-Key``; masked in ``repr``, never written.
    base_url
        Default: ``AITOEARN_BASE_URL``, else the site of ``region``.
    region
        ``"intl"`` (https://aitoearn.ai) or ``"cn"`` (https://aitoearn.cn).
    cache
        A path, ``False`` for no cache, or None for ``AITOEARN_LAB_CACHE`` or the user's cache
        directory.
    workers
        Concurrent requests; the connection pool is sized to match.
    pending_ttl
        Seconds an answer for an unfinished task stays usable; finished tasks are kept for good.
    not_found_ttl
        Seconds a 12302 (no such task) answer is remembered (a day by default; 0 turns it off).
    timeout, max_retries, max_rps
        Per-read timeout in seconds, retries per ID, and an optional requests-per-second cap.
    deadline, max_body
        Seconds for one whole request (body included; by default 120, or ``timeout`` if longer)
        and bytes of one answer; past either the ID ends as a row with ``fetch_error`` (a
        deadline is retried, an oversized body is not).
    session
        A ready ``requests.Session`` (for proxies, certificates or adapters of your own). The key
        is sent with each request, never stored in it; :meth:`close` leaves it open.
    clock, sleep
        Injectable time: ``clock()`` gives Unix seconds (fetch times, cache freshness, deadlines,
        ``Retry-After`` dates, the rate cap); ``sleep`` is used between retries and by the cap.

    Examples
    --------
    >>> client = Client(base_url=sim.base_url, api_key=sim.api_key, cache=False)  # doctest: +SKIP
    >>> tasks = client.fetch(sim.task_ids)  # doctest: +SKIP
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        region: str | None = None,
        cache: str | os.PathLike[str] | bool | None = None,
        workers: int = DEFAULT_WORKERS,
        pending_ttl: float = DEFAULT_PENDING_TTL,
        not_found_ttl: float = DEFAULT_NOT_FOUND_TTL,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_rps: float | None = None,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        deadline: float | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        lock_timeout: float = 10.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.__api_key = resolve_api_key(api_key)
        self.base_url = resolve_base_url(base_url, region)
        self.settings = FetchSettings(
            workers=workers,
            pending_ttl=pending_ttl,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            max_retry_after=max_retry_after,
            max_rps=max_rps,
            deadline=max(DEFAULT_DEADLINE, timeout) if deadline is None else deadline,
            max_body=max_body,
        )
        self.not_found_ttl = checked_ttl(not_found_ttl)
        self._clock = clock
        self._sleep = sleep
        self.cache_path: Path | None = resolve_cache_path(cache)
        self._cache = (
            TaskCache(
                self.cache_path,
                scope=key_scope(self.__api_key, self.base_url),
                lock_timeout=lock_timeout,
            )
            if self.cache_path is not None
            else None
        )
        # A caller's own session stays theirs: the key goes with each request, not into it.
        self._owns_session = session is None
        self._session = session or new_session(self.base_url, workers=workers)
        self._limiter = (
            RateLimiter(max_rps, clock=clock, sleep=sleep or time.sleep) if max_rps else None
        )
        self.last_fetch = FetchStats()

    def __repr__(self) -> str:
        cache = str(self.cache_path) if self.cache_path is not None else "off"
        return (
            f"Client(base_url={self.base_url!r}, api_key={mask_key(self.__api_key)!r}, "
            f"cache={cache!r}, workers={self.settings.workers})"
        )

    def close(self) -> None:
        """Close the cache file and the connection pool (a session passed in stays open)."""
        if self._owns_session:
            self._session.close()
        if self._cache is not None:
            self._cache.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def task_url(self, task_id: str) -> str:
        """The endpoint URL for ``task_id``, URL-encoded (dots too, so ``..`` stays a name)."""
        return f"{self.base_url}{schema.TASK_PATH}{quote(task_id, safe='').replace('.', '%2E')}"

    # --- one task -------------------------------------------------------------------------------

    def get_task(self, task_id: str) -> dict[str, Any]:
        """Fetch one task record (from the cache while fresh).

        Raises
        ------
        AuthenticationError, InvalidTaskIdError, TaskNotFoundError, APIError
            For the matching envelope codes.
        TransportError
            When no usable answer came after every retry.
        ResponseValidationError
            When the answer breaks the API contract.
        """
        task_id = str(task_id).strip()
        problem = local_problem(task_id)
        if problem is not None:
            raise problem
        if self._cache is not None:
            cached = self._cache.lookup([task_id]).get(task_id)
            settled = cached and cached_outcome(
                task_id, cached, now=self._clock(), **self._ttls(self.settings.pending_ttl)
            )
            if settled:
                if settled.error is not None:
                    raise settled.error  # a remembered 12302
                return settled.record  # type: ignore[return-value]
        outcome = self._ask(task_id, threading.Event())
        if outcome.record is None:
            assert outcome.error is not None
            self._save(outcome)  # a 12302 is remembered
            raise outcome.error
        self._save(outcome)
        return outcome.record

    # --- many tasks -----------------------------------------------------------------------------

    def fetch(
        self, ids: Iterable[Any], *, progress: bool = True, refresh: bool = False
    ) -> pd.DataFrame:
        """Fetch many tasks into the tasks DataFrame (see :func:`aitoearn_lab.to_frame`).

        Parameters
        ----------
        ids
            Any iterable of task IDs: a list, a pandas Series, the lines of an open file.
            IDs are stripped and de-duplicated; first-seen order is kept. Or a DataFrame with
            a ``taskId``, ``task_id`` or ``id`` column: its other columns are the caller's own
            metadata, joined onto the rows as ``user_<name>`` columns (a repeated ID keeps its
            first row, with a warning when the rows differ).
        progress
            Show a progress bar (tqdm; a widget in Jupyter) with the count of cache hits.
        refresh
            Ask again for every unfinished task, however recent its stored answer (finished
            tasks still come from the cache).

        Returns
        -------
        pandas.DataFrame
            One row per unique ID. A task ID with no task behind it is a row with ``api_code``
            and ``fetch_error``; see ``client.last_fetch`` for counts.

        Raises
        ------
        AuthenticationError
            The key was refused; answers received before that are saved in the cache.
        """
        from aitoearn_lab.frame.ids import IdSource, ids_from_frame, is_frame

        source = IdSource([])
        if is_frame(ids):
            source = ids_from_frame(ids)
            for note in source.notes:
                warnings.warn(note, UserWarning, stacklevel=2)
            ids = source.task_ids
        outcomes = self.fetch_outcomes(ids, progress=progress, refresh=refresh)
        return source.join(self._frame(outcomes))

    def fetch_outcomes(
        self, ids: Iterable[Any], *, progress: bool = False, refresh: bool = False
    ) -> list[Outcome]:
        """:meth:`fetch` without the DataFrame: one :class:`Outcome` per unique ID, in order."""
        started = time.perf_counter()
        given, unique = normalize_ids(ids)
        stats = FetchStats(requested=given, unique=len(unique))
        with collector_paused():  # a warm reload parses every answer: see aitoearn_lab._gc
            outcomes, askable = self._settle_without_asking(unique, stats, refresh=refresh)
        bar = progress_bar(len(unique), enabled=progress)
        bar.update(len(outcomes))

        def take(outcome: Outcome) -> None:
            if outcome.task_id in outcomes:  # handed out again after a Ctrl-C: taken already
                return
            try:
                self._save(outcome)
            except KeyboardInterrupt:
                self._save(outcome)  # saving twice is harmless; the first may have been cut
                raise
            outcomes[outcome.task_id] = outcome
            stats.fetched += 1
            stats.requests += outcome.attempts
            bar.update(1)
            if not outcome.settled:
                stats.failed += 1
            bar.set_postfix_str(f"cached={stats.cache_hits}, failed={stats.failed}", refresh=False)

        asking = ask_many(self._ask, askable, workers=self.settings.workers)
        try:
            for outcome in asking:
                take(outcome)
        except KeyboardInterrupt as interrupt:
            if inspect.getgeneratorstate(asking) == inspect.GEN_SUSPENDED:
                # Ctrl-C came while an answer was being saved, not while waiting for one: hand
                # it to the asking loop, which keeps the answers of the requests in flight.
                try:
                    late = asking.throw(interrupt)
                    while True:
                        take(late)
                        late = next(asking)
                except (KeyboardInterrupt, StopIteration):
                    pass
            raise
        finally:
            bar.close()
            stats.elapsed_s = time.perf_counter() - started
            self.last_fetch = stats
        return [outcomes[task_id] for task_id in unique]

    def _settle_without_asking(
        self, unique: list[str], stats: FetchStats, *, refresh: bool
    ) -> tuple[dict[str, Outcome], list[str]]:
        """Outcomes for the IDs rejected locally or answered by the cache; the IDs left to ask."""
        outcomes: dict[str, Outcome] = {}
        askable: list[str] = []
        if all_plain(unique):  # the usual case, settled by one regex instead of a check per ID
            askable = list(unique)
        for task_id in unique if not askable else ():
            problem = local_problem(task_id)
            if problem is not None:
                outcomes[task_id] = Outcome(task_id, error=problem, fetched_at=self._clock())
                stats.rejected += 1
            else:
                askable.append(task_id)
        if self._cache is not None and askable:
            now = self._clock()
            stored = self._cache.lookup(askable)
            pending_ttl = 0.0 if refresh else self.settings.pending_ttl
            for task_id, answer in stored.items():
                settled = cached_outcome(task_id, answer, now=now, **self._ttls(pending_ttl))
                if settled is not None:
                    outcomes[task_id] = settled
            stats.cache_hits = len(outcomes) - stats.rejected
            askable = [task_id for task_id in askable if task_id not in outcomes]
        return outcomes, askable

    def _save(self, outcome: Outcome) -> None:
        if self._cache is None or (outcome.record is None and outcome.error is None):
            return
        try:
            url = self.task_url(outcome.task_id)
            store_outcome(self._cache, outcome, url=url, **self._ttls(self.settings.pending_ttl))
        except CacheError as error:
            # The answer is still in the result; only its copy on disk is lost. Say so once and
            # carry on without the cache rather than lose the batch.
            warnings.warn(f"{error}. Continuing without the cache.", RuntimeWarning, stacklevel=3)
            self._cache.close()
            self._cache = None
        outcome.response = None  # the record is kept; the raw answer is no longer needed

    def _ask(self, task_id: str, stop: threading.Event) -> Outcome:
        """Ask for one task until a definitive answer or the retries run out.

        A refused key sets ``stop`` before this thread can take another ID, so a batch sends
        nothing after a 401 but the requests already in flight. Messages built from what the
        server sent are cleared of the key, in case the server echoes it.
        """
        try:
            outcome = ask_until_answered(
                self._session,
                self.task_url(task_id),
                task_id,
                stop,
                settings=self.settings,
                limiter=self._limiter,
                clock=self._clock,
                sleep=self._sleep,
                headers={schema.API_KEY_HEADER: self.__api_key},
            )
        except AuthenticationError as error:
            stop.set()
            raise redact_error(error, self.__api_key) from None
        if outcome.error is not None:
            outcome.error = redact_error(outcome.error, self.__api_key)
        if outcome.request_id is not None:
            outcome.request_id = redact_key(outcome.request_id, self.__api_key)
        return outcome

    def _key_headers(self) -> dict[str, str]:
        """The header that carries the key, for one request (never kept in the session)."""
        return {schema.API_KEY_HEADER: self.__api_key}
