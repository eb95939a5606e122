"""``Client.sync``: every task of the account from the list endpoint, incrementally.

1. The first page (1,000 tasks, newest first) gives ``total``; the other pages are asked
   concurrently with the client's workers. Each page's tasks are stored in the cache as if
   fetched by ID (finished for good, unfinished for ``pending_ttl``) the moment it arrives.
2. Pages shift while new tasks arrive (offset paging over a list that grows at the top): a task
   can be listed twice, so tasks are de-duplicated by ID, the newest answer kept. When the
   pages report different totals the list moved under the concurrent reads, and the pages are
   read again in order from the top, which misses nothing on a list that grows only at the top.
3. A later sync with the same cache and key (see :mod:`aitoearn_lab.client.holdings`) pages
   only until it reaches the newest task the last complete sync saw, then asks again, by ID,
   only the unfinished tasks it holds; finished ones come from the cache in bulk.
4. ``since`` stops the paging at tasks created earlier (creation time is in the task ID).
"""

from __future__ import annotations

import functools
import inspect
import math
import threading
import time
import warnings
from collections.abc import Generator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aitoearn_lab.client.cache import CachedAnswer
from aitoearn_lab.client.holdings import Holdings, SyncMark
from aitoearn_lab.client.outcomes import Outcome
from aitoearn_lab.client.paging import PAGE_SIZE, Page, ask_page
from aitoearn_lab.client.session import progress_bar
from aitoearn_lab.client.since import created_s, since_seconds
from aitoearn_lab.errors import CacheError, ConfigurationError

if TYPE_CHECKING:
    from aitoearn_lab.client.api import Client

_MAX_PAGE_FACTOR = 3  # a sync asks at most this many times the first answer's pages, plus 5


@dataclass(slots=True)
class SyncStats:
    """Counts from the last :meth:`Client.sync`."""

    tasks: int = 0
    """Rows returned: every task of the account within ``since``."""
    listed: int = 0
    """Unique tasks the list pages showed in this sync."""
    new: int = 0
    """Listed tasks that no earlier sync had listed."""
    held: int = 0
    """Tasks already held from earlier syncs (finished ones come from the cache)."""
    list_pages: int = 0
    """List pages asked (each retry counts)."""
    by_id: int = 0
    """Held unfinished tasks asked again by ID."""
    by_id_requests: int = 0
    failed: int = 0
    """Rows without a usable answer (a listed record that breaks the contract, a re-ask that
    failed after every retry)."""
    incremental: bool = False
    reread: bool = False
    """True when the list moved under a concurrent read and was read again from the top."""
    elapsed_s: float = 0.0

    def describe(self) -> str:
        """One line for a person."""
        how = "incremental" if self.incremental else "full"
        parts = [f"{self.tasks} tasks ({how} sync)", f"{self.list_pages} list page(s)"]
        parts.append(f"{self.listed} listed ({self.new} new)")
        if self.held:
            parts.append(f"{self.held} held from earlier syncs")
        if self.by_id:
            parts.append(f"{self.by_id} unfinished asked again by ID")
        if self.failed:
            parts.append(f"{self.failed} without a usable answer")
        return ", ".join(parts) + f" in {self.elapsed_s:.1f} s"


def sync_outcomes(
    client: Client, *, since: Any = None, max_tasks: int | None = None, progress: bool = False
) -> tuple[list[Outcome], SyncStats]:
    """The work of :meth:`Client.sync`, without the DataFrame: outcomes newest first."""
    started = time.perf_counter()
    if max_tasks is not None and max_tasks < 1:
        raise ConfigurationError(f"max_tasks must be at least 1, got {max_tasks}")
    since_s = since_seconds(since)
    stats = SyncStats()
    holdings = _holdings(client)
    mark = holdings.mark() if holdings is not None else None
    held: dict[str, CachedAnswer] = {}
    if holdings is not None and mark is not None and mark.covers(since_s):
        listed_before = holdings.listed_ids(since_s=since_s)
        held = client._cache.lookup(listed_before) if client._cache is not None else {}
        if len(held) < len(listed_before):  # answers cleared or damaged: list it all again
            mark, held = None, {}
    else:
        mark = None
    stats.incremental = mark is not None
    stats.held = len(held)

    pager = _Pager(client, holdings, since_s=since_s, mark=mark, held=held, max_tasks=max_tasks)
    try:
        listed = pager.collect(stats, progress=progress)
    finally:
        if pager.bar is not None:
            pager.bar.close()

    outcomes: dict[str, Outcome] = dict(listed)
    stats.new = sum(1 for task_id in listed if task_id not in held)
    unfinished = [
        task_id
        for task_id, answer in held.items()
        if task_id not in outcomes and not answer.terminal
    ]
    for task_id, answer in held.items():
        if task_id not in outcomes and answer.terminal:
            outcomes[task_id] = Outcome(
                task_id, record=answer.record, fetched_at=answer.fetched_at, from_cache=True
            )
    if unfinished:
        for outcome in client.fetch_outcomes(unfinished, progress=False):
            outcomes[outcome.task_id] = outcome
        stats.by_id = client.last_fetch.fetched
        stats.by_id_requests = client.last_fetch.requests

    ordered = sorted(outcomes.values(), key=lambda o: o.task_id, reverse=True)
    if since_s is not None:
        ordered = [o for o in ordered if created_s(o.task_id) >= since_s]
    if max_tasks is not None:
        ordered = ordered[:max_tasks]
    # The mark moves only when every page of this sync was stored: else the next sync would
    # page past tasks the cache never got.
    holdings = pager.holdings
    if holdings is not None and pager.complete and ordered:
        newest = max([o.task_id for o in ordered] + ([mark.newest_id] if mark else []))
        floor = mark.floor if mark is not None else since_s
        try:
            holdings.set_mark(SyncMark(newest, floor, client._clock()))
        except CacheError as error:  # the rows are still returned; the next sync is a full one
            warnings.warn(f"{error}. The sync mark was not saved.", RuntimeWarning, stacklevel=3)
    stats.tasks = len(ordered)
    stats.failed = sum(1 for outcome in ordered if not outcome.settled)
    stats.elapsed_s = time.perf_counter() - started
    return ordered, stats


def _holdings(client: Client) -> Holdings | None:
    if client._cache is None:
        return None
    try:
        return Holdings(client._cache)
    except CacheError:
        return None


class _Pager:
    """Reads list pages and keeps the newest answer per task."""

    def __init__(
        self,
        client: Client,
        holdings: Holdings | None,
        *,
        since_s: float | None,
        mark: SyncMark | None,
        held: dict[str, CachedAnswer],
        max_tasks: int | None,
    ) -> None:
        self.client = client
        self.holdings = holdings
        self.since_s = since_s
        self.mark = mark
        self.mark_s = created_s(mark.newest_id) if mark is not None else None
        self.held = held
        self.max_tasks = max_tasks
        self.found: dict[str, Outcome] = {}
        self.totals: set[int] = set()
        self.complete = False
        self.bar: Any = None
        self.stop = threading.Event()
        self.key_headers = client._key_headers()

    def collect(self, stats: SyncStats, *, progress: bool) -> dict[str, Outcome]:
        first = self._ask(1)  # before the bar: a server without the list shows no bar at all
        known = self.since_s is None and self.max_tasks is None
        self.bar = progress_bar(first.total if known else 0, enabled=progress, desc="Syncing")
        self._take(first, stats)
        self.bar.update(len(self.held))
        last_asked = 1
        limit = _MAX_PAGE_FACTOR * max(math.ceil(first.total / PAGE_SIZE), 1) + 5
        ended = self._ends_here(first) or self._enough()
        while not ended and last_asked < limit:
            batch = self._next_batch(first, last_asked)
            pages = self._ask_many(range(last_asked + 1, last_asked + 1 + batch))
            try:
                for page in pages:
                    self._take(page, stats)
                    ended = ended or self._ends_here(page)
            except KeyboardInterrupt as interrupt:
                self._keep_in_flight(pages, interrupt, stats)
                raise
            last_asked += batch
            ended = ended or self._enough()
        if len(self.totals) > 1:
            # The list moved under the concurrent reads: read it again in order from the top,
            # which misses nothing on a list that grows only at the top.
            stats.reread = True
            ended = False
            for number in range(1, limit + 1):
                page = self._ask(number)
                self._take(page, stats)
                if self._ends_here(page) or self._enough():
                    ended = True
                    break
        self.complete = ended and self.max_tasks is None
        stats.listed = len(self.found)
        return self.found

    def _keep_in_flight(
        self, pages: Generator[Page, None, None], interrupt: KeyboardInterrupt, stats: SyncStats
    ) -> None:
        """Ctrl-C came while a page was being stored, not while waiting for one: hand it to the
        pages still in flight, whose answers are then stored too."""
        if inspect.getgeneratorstate(pages) != inspect.GEN_SUSPENDED:
            return
        try:
            late = pages.throw(interrupt)
            while True:
                self._take(late, stats)
                late = next(pages)
        except (KeyboardInterrupt, StopIteration):
            pass

    def _next_batch(self, first: Page, last_asked: int) -> int:
        """How many pages to ask at once next: all that remain on a full first read."""
        workers = self.client.settings.workers
        pages = math.ceil(first.total / PAGE_SIZE)
        if self.mark is not None and self.since_s is None:
            # New tasks sit on top of the ones held: their count says how far to read.
            fresh = max(first.total - len(self.held), 0)
            return max(min(math.ceil((fresh + 1) / PAGE_SIZE), pages) - last_asked, 1)
        if self.since_s is None and self.max_tasks is None:
            return max(pages - last_asked, 1)
        return workers

    def _ends_here(self, page: Page) -> bool:
        """True when no later page can hold a task this sync still needs."""
        if page.listed < PAGE_SIZE or page.number * PAGE_SIZE >= page.total:
            return True  # the last page, by its own count
        ids = page.task_ids()
        if self.since_s is not None and any(created_s(i) < self.since_s for i in ids):
            return True
        if self.mark is not None and self.mark_s is not None:
            newest = self.mark.newest_id
            return any(i == newest or created_s(i) < self.mark_s for i in ids)
        return False

    def _enough(self) -> bool:
        return self.max_tasks is not None and len(self.found) >= self.max_tasks

    def _take(self, page: Page, stats: SyncStats) -> None:
        stats.list_pages += page.attempts
        self.totals.add(page.total)
        client = self.client
        if self.holdings is not None and page.records and page.meta is not None:
            store = functools.partial(
                self.holdings.store_page,
                page.records,
                url_of=client.task_url,
                meta=page.meta,
                fetched_at=page.fetched_at,
                pending_ttl=client.settings.pending_ttl,
            )
            try:
                store()
            except KeyboardInterrupt:
                try:
                    store()  # the transaction was rolled back: store the page, then stop
                except CacheError:
                    self.holdings = None
                raise
            except CacheError:
                self.holdings = None  # the rows are still returned; only the copy on disk is lost
        before = len(self.found)
        request_id = page.meta.request_id or None if page.meta is not None else None
        for record in page.records:
            task_id = record["id"]
            if self.since_s is not None and created_s(task_id) < self.since_s:
                continue
            known = self.found.get(task_id)
            if known is None or known.fetched_at <= page.fetched_at:
                self.found[task_id] = Outcome(
                    task_id, record=record, fetched_at=page.fetched_at, request_id=request_id
                )
        for task_id, error in page.invalid:
            if task_id not in self.found:
                self.found[task_id] = Outcome(
                    task_id, error=error, fetched_at=page.fetched_at, request_id=request_id
                )
        if self.bar is not None:
            self.bar.update(len(self.found) - before)

    def _ask(self, number: int) -> Page:
        client = self.client
        return ask_page(
            client._session,
            client.base_url,
            number,
            self.stop,
            headers=self.key_headers,
            settings=client.settings,
            limiter=client._limiter,
            clock=client._clock,
            sleep=client._sleep,
        )

    def _ask_many(self, numbers: range) -> Generator[Page, None, None]:
        """Pages asked concurrently (the client's workers), yielded as they come.

        When a page fails, nothing more is asked, but the pages already in flight are still
        yielded (and so stored) before the error is raised. On Ctrl-C, likewise: every page
        the server answers is yielded before the interrupt goes on.
        """
        if len(numbers) == 1:
            yield self._ask(numbers[0])
            return
        answered: dict[int, Page] = {}  # filled by the workers: Ctrl-C may cut a submit short
        handed: set[int] = set()
        in_flight: set[int] = set()
        changed = threading.Condition()

        def ask(number: int) -> Page:
            with changed:
                in_flight.add(number)
            try:
                answered[number] = page = self._ask(number)
                return page
            finally:
                with changed:
                    in_flight.discard(number)
                    changed.notify_all()

        workers = min(self.client.settings.workers, len(numbers))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aitoearn-sync")
        failure: BaseException | None = None
        try:
            pending: set[Future[Page]] = set()
            for number in numbers:
                pending.add(pool.submit(ask, number))
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        page = future.result()
                    except Exception as error:  # raised below, once the rest is in
                        if failure is None:
                            failure = error
                            self.stop.set()
                        continue
                    handed.add(page.number)  # as it is yielded: Ctrl-C may come at any yield
                    yield page
        except KeyboardInterrupt:
            # Pages already asked are answered anyway: keep them, ask nothing more, then stop.
            self.stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            with changed:  # a worker whose start was cut short is not joined by the pool
                changed.wait_for(lambda: not in_flight)
            yield from (page for n, page in sorted(answered.items()) if n not in handed)
            raise
        except BaseException:
            self.stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if failure is not None:
            raise failure
