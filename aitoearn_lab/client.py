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

A refused API key (401) stops the batch at once: every other call would fail the same way.
"""

from __future__ import annotations

import inspect
import math
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from aitoearn_lab import schema
from aitoearn_lab._gc import collector_paused
from aitoearn_lab._version import __version__
from aitoearn_lab.cache import TaskCache
from aitoearn_lab.config import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_PENDING_TTL,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    FetchSettings,
    key_scope,
    mask_key,
    redact_key,
    resolve_api_key,
    resolve_base_url,
    resolve_cache_path,
)
from aitoearn_lab.errors import (
    AiToEarnError,
    APIError,
    AuthenticationError,
    CacheError,
    InvalidTaskIdError,
    ResponseValidationError,
    TaskNotFoundError,
    TransportError,
)
from aitoearn_lab.retry import RateLimiter, backoff_delay, retry_after_seconds

if TYPE_CHECKING:
    import pandas as pd

_E = TypeVar("_E", bound=AiToEarnError)

_ERROR_FOR_CODE: Final[dict[int, type[APIError]]] = {
    schema.CODE_UNAUTHORIZED: AuthenticationError,
    schema.CODE_API_KEY_INVALID: AuthenticationError,
    schema.CODE_VALIDATION_FAILED: InvalidTaskIdError,
    schema.CODE_INVALID_TASK_ID: TaskNotFoundError,
}
_NETWORK_ERRORS: Final = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(slots=True)
class Outcome:
    """What became of one task ID: a record, or the error that ended it."""

    task_id: str
    record: dict[str, Any] | None = None
    response: requests.Response | None = field(default=None, repr=False)
    error: AiToEarnError | None = None
    fetched_at: float = math.nan
    from_cache: bool = False
    attempts: int = 0

    @property
    def api_code(self) -> int | None:
        if self.record is not None:
            return schema.CODE_OK
        return self.error.code if isinstance(self.error, APIError) else None

    @property
    def settled(self) -> bool:
        """A definitive answer: a task, a malformed ID (10002) or no such task (12302)."""
        return self.record is not None or isinstance(
            self.error, InvalidTaskIdError | TaskNotFoundError
        )


@dataclass(slots=True)
class FetchStats:
    """Counts from the last :meth:`Client.fetch`."""

    requested: int = 0
    unique: int = 0
    rejected: int = 0
    cache_hits: int = 0
    fetched: int = 0
    requests: int = 0
    failed: int = 0
    elapsed_s: float = 0.0

    @property
    def retries(self) -> int:
        return max(self.requests - self.fetched, 0)

    @property
    def complete(self) -> bool:
        """True when every ID got a definitive answer."""
        return self.failed == 0

    def describe(self) -> str:
        """One line for a person."""
        parts = [
            f"{self.unique} unique IDs",
            f"{self.cache_hits} from cache",
            f"{self.fetched} fetched",
        ]
        if self.retries:
            parts.append(f"{self.retries} retries")
        if self.rejected:
            parts.append(f"{self.rejected} rejected locally")
        if self.failed:
            parts.append(f"{self.failed} without an answer")
        return ", ".join(parts) + f" in {self.elapsed_s:.1f} s"


class Client:
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
    timeout, max_retries, max_rps
        Per-request timeout in seconds, retries per ID, and an optional requests-per-second cap.
    session
        A ready ``requests.Session`` (for proxies, certificates or adapters of your own).
    clock, sleep
        Injectable time: ``clock()`` gives Unix seconds (fetch times, cache freshness); ``sleep``
        is used between retries.

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
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_rps: float | None = None,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
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
        )
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
        self._session = session if session is not None else self._new_session()
        self._session.headers[schema.API_KEY_HEADER] = self.__api_key
        self._limiter = RateLimiter(max_rps) if max_rps else None
        self.last_fetch = FetchStats()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # Proxy and certificate settings are read from the environment once, here, instead of
        # on every request (trust_env costs ~0.3 ms per call).
        session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
        session.trust_env = False
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=self.settings.workers, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {"Accept": "application/json", "User-Agent": f"aitoearn-lab/{__version__}"}
        )
        return session

    def __repr__(self) -> str:
        cache = str(self.cache_path) if self.cache_path is not None else "off"
        return (
            f"Client(base_url={self.base_url!r}, api_key={mask_key(self.__api_key)!r}, "
            f"cache={cache!r}, workers={self.settings.workers})"
        )

    def close(self) -> None:
        """Close the connection pool and the cache file."""
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
        problem = _local_problem(task_id)
        if problem is not None:
            raise problem
        if self._cache is not None:
            cached = self._cache.lookup([task_id]).get(task_id)
            if cached is not None and cached.is_fresh(self._clock(), self.settings.pending_ttl):
                return cached.record
        outcome = self._ask(task_id, threading.Event())
        if outcome.record is None:
            assert outcome.error is not None
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
            IDs are stripped and de-duplicated; first-seen order is kept.
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
        from aitoearn_lab.frame import FetchInfo, build_frame

        outcomes = self.fetch_outcomes(ids, progress=progress, refresh=refresh)
        with collector_paused():  # bulk work on every record: see aitoearn_lab._gc
            info = FetchInfo(
                task_ids=[o.task_id for o in outcomes],
                api_codes=[o.api_code for o in outcomes],
                fetch_errors=[None if o.error is None else str(o.error) for o in outcomes],
                fetched_at=[o.fetched_at for o in outcomes],
                from_cache=[o.from_cache for o in outcomes],
            )
            return build_frame([o.record for o in outcomes], info)

    def fetch_outcomes(
        self, ids: Iterable[Any], *, progress: bool = False, refresh: bool = False
    ) -> list[Outcome]:
        """:meth:`fetch` without the DataFrame: one :class:`Outcome` per unique ID, in order."""
        started = time.perf_counter()
        given, unique = normalize_ids(ids)
        stats = FetchStats(requested=given, unique=len(unique))
        with collector_paused():  # a warm reload parses every answer: see aitoearn_lab._gc
            outcomes, askable = self._settle_without_asking(unique, stats, refresh=refresh)
        bar = _progress_bar(len(unique), enabled=progress)
        bar.update(len(outcomes))

        def take(outcome: Outcome) -> None:
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

        asking = self._ask_many(askable)
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
        if _all_plain(unique):  # the usual case, settled by one regex instead of a check per ID
            askable = list(unique)
        for task_id in unique if not askable else ():
            problem = _local_problem(task_id)
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
                if answer.is_fresh(now, pending_ttl):
                    outcomes[task_id] = Outcome(
                        task_id, record=answer.record, fetched_at=answer.fetched_at, from_cache=True
                    )
            stats.cache_hits = len(outcomes) - stats.rejected
            askable = [task_id for task_id in askable if task_id not in outcomes]
        return outcomes, askable

    def _save(self, outcome: Outcome) -> None:
        if self._cache is None or outcome.record is None or outcome.response is None:
            return
        try:
            self._cache.save(
                outcome.task_id,
                outcome.response,
                outcome.record,
                fetched_at=outcome.fetched_at,
                pending_ttl=self.settings.pending_ttl,
            )
        except CacheError as error:
            # The answer is still in the result; only its copy on disk is lost. Say so once and
            # carry on without the cache rather than lose the batch.
            warnings.warn(f"{error}. Continuing without the cache.", RuntimeWarning, stacklevel=3)
            self._cache.close()
            self._cache = None
        outcome.response = None  # the record is kept; the raw answer is no longer needed

    def _ask_many(self, task_ids: list[str]) -> Generator[Outcome, None, None]:
        """Ask for each ID with bounded concurrency; yield outcomes as they complete."""
        if not task_ids:
            return
        stop = threading.Event()
        pending = iter(task_ids)
        in_flight: dict[Future[Outcome], str] = {}
        limit = self.settings.workers * 2
        pool = ThreadPoolExecutor(
            max_workers=self.settings.workers, thread_name_prefix="aitoearn-fetch"
        )

        def fill() -> None:
            while len(in_flight) < limit and not stop.is_set():
                task_id = next(pending, None)
                if task_id is None:
                    return
                in_flight[pool.submit(self._ask, task_id, stop)] = task_id

        auth_error: AuthenticationError | None = None
        try:
            fill()
            while in_flight:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    del in_flight[future]
                    try:
                        yield future.result()
                    except AuthenticationError as error:
                        # Stop at once; requests already in flight still finish and are kept.
                        auth_error = auth_error or error
                        stop.set()
                fill()
        except KeyboardInterrupt:
            # Requests already sent are answered anyway (the process waits for the pool's
            # threads before it ends): keep those answers, ask nothing more, then stop.
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            for future in [f for f in in_flight if not f.cancelled()]:
                if future.exception() is None:  # waits for the answer
                    yield future.result()
            raise
        except BaseException:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if auth_error is not None:
            raise auth_error

    def _ask(self, task_id: str, stop: threading.Event) -> Outcome:
        """Ask for one task until a definitive answer or the retries run out.

        A refused key sets ``stop`` before this thread can take another ID, so a batch sends
        nothing after a 401 but the requests already in flight. Messages built from what the
        server sent are cleared of the key, in case the server echoes it.
        """
        try:
            outcome = self._ask_until_answered(task_id, stop)
        except AuthenticationError as error:
            stop.set()
            raise self._scrubbed(error) from None
        if outcome.error is not None:
            outcome.error = self._scrubbed(outcome.error)
        return outcome

    def _scrubbed(self, error: _E) -> _E:
        key = self.__api_key
        error.args = tuple(redact_key(a, key) if isinstance(a, str) else a for a in error.args)
        if isinstance(error, APIError):
            error.api_message = redact_key(error.api_message, key)
            error.request_id = error.request_id and redact_key(error.request_id, key)
        return error

    def _ask_until_answered(self, task_id: str, stop: threading.Event) -> Outcome:
        settings = self.settings
        url = self.task_url(task_id)
        outcome = Outcome(task_id)
        problem = "not asked: the batch was stopped"
        http_status: int | None = None
        for attempt in range(settings.max_retries + 1):
            if stop.is_set():
                break
            if self._limiter is not None:
                self._limiter.acquire()
            outcome.attempts += 1
            delay: float | None = None
            try:
                # Redirects are not followed: the key must only ever go to the base URL.
                response = self._session.get(
                    url,
                    timeout=(min(settings.timeout, 10.0), settings.timeout),
                    allow_redirects=False,
                )
            except _NETWORK_ERRORS as error:
                problem = _describe_network_error(error)
                http_status = None
            except requests.RequestException as error:
                outcome.fetched_at = self._clock()
                outcome.error = TransportError(
                    f"the request could not be made ({type(error).__name__})", task_id=task_id
                )
                return outcome
            else:
                http_status = response.status_code
                if response.status_code == 200:
                    try:
                        envelope = schema.parse_envelope(response.content)
                    except schema.MalformedBodyError as error:
                        problem = f"malformed answer: {error}"
                    else:
                        outcome.fetched_at = self._clock()
                        code = envelope["code"]
                        if code == schema.CODE_OK:
                            try:
                                outcome.record = schema.validate_task(
                                    envelope.get("data"), task_id=task_id
                                )
                            except ResponseValidationError as error:
                                outcome.error = error
                                return outcome
                            outcome.response = response
                            return outcome
                        refusal = _api_error(envelope, task_id)
                        if isinstance(refusal, AuthenticationError):
                            raise refusal
                        if code not in schema.TRANSIENT_CODES:
                            outcome.error = refusal
                            return outcome
                        problem = str(refusal)
                elif response.status_code == 401:  # a gateway's refusal, without an envelope
                    raise AuthenticationError(
                        f"HTTP 401 {response.reason or ''}".strip(),
                        code=schema.CODE_UNAUTHORIZED,
                        task_id=task_id,
                    )
                elif response.status_code == 429 or response.status_code >= 500:
                    problem = f"HTTP {response.status_code} {response.reason or ''}".strip()
                    delay = retry_after_seconds(
                        response.headers.get("Retry-After"),
                        now=time.time(),
                        cap=settings.max_retry_after,
                    )
                else:
                    outcome.fetched_at = self._clock()
                    text = f"HTTP {response.status_code} {response.reason or ''}".strip()
                    if response.is_redirect:
                        target = response.headers.get("Location", "")[:200]
                        text += (
                            f" (a redirect to {target!r}, not followed: the API key is only "
                            "sent to the base URL; point the base URL at the API itself)"
                        )
                    outcome.error = TransportError(
                        text,
                        task_id=task_id,
                        http_status=response.status_code,
                    )
                    return outcome
            if attempt == settings.max_retries:
                break
            if delay is None:
                delay = backoff_delay(attempt, base=settings.backoff_base, cap=settings.backoff_max)
            self._wait(delay, stop)
        outcome.fetched_at = self._clock()
        outcome.error = TransportError(
            f"no usable answer after {outcome.attempts} attempt(s): {problem}",
            task_id=task_id,
            http_status=http_status,
        )
        return outcome

    def _wait(self, seconds: float, stop: threading.Event) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            stop.wait(seconds)

    def cache_size(self) -> int:
        """How many answers the cache holds for this key and site (0 without a cache)."""
        return len(self._cache) if self._cache is not None else 0

    def clear_cache(self) -> int:
        """Forget this key's stored answers (other keys' stay); return how many were removed."""
        return self._cache.clear() if self._cache is not None else 0


def normalize_ids(ids: Iterable[Any]) -> tuple[int, list[str]]:
    """``(how many were given, unique IDs in first-seen order)``; a lone string is one ID."""
    if isinstance(ids, str | bytes):
        ids = [ids]
    seen: dict[str, None] = {}
    given = 0
    for raw in ids:
        given += 1
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            text = ""
        elif isinstance(raw, bytes):
            text = raw.decode("utf-8", "replace")
        else:
            text = str(raw)
        seen.setdefault(text.strip(), None)
    return given, list(seen)


_PLAIN_IDS: Final = re.compile(r"(?:(?!\.+\n)[0-9A-Za-z_.-]{1,256}\n)*")


def _all_plain(task_ids: list[str]) -> bool:
    """True when no ID can have a local problem: each is 1-256 of ``[0-9A-Za-z_.-]``, not
    only dots. One regex over them all, instead of :func:`_local_problem` for each."""
    if not task_ids:
        return True
    text = "\n".join(task_ids) + "\n"
    # An ID with a line break inside would read as two plain lines: the count catches it.
    return text.count("\n") == len(task_ids) and _PLAIN_IDS.fullmatch(text) is not None


def _local_problem(task_id: str) -> InvalidTaskIdError | None:
    problem = schema.task_id_problem(task_id)
    if problem is None and set(task_id) == {"."}:
        problem = "task ID is only dots"
    if problem is None:
        return None
    return InvalidTaskIdError(
        f"rejected without a request: {problem}",
        code=schema.CODE_VALIDATION_FAILED,
        task_id=task_id[:80],
    )


def _api_error(envelope: dict[str, Any], task_id: str) -> APIError:
    code = envelope["code"]
    message = envelope.get("message")
    text = (
        message[:300]
        if isinstance(message, str) and message
        else schema.CODE_MESSAGES.get(code, "error")
    )
    request_id = envelope.get("requestId")
    request_id = request_id[:64] if isinstance(request_id, str) else None
    return _ERROR_FOR_CODE.get(code, APIError)(
        text, code=code, task_id=task_id, request_id=request_id
    )


def _describe_network_error(error: Exception) -> str:
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(
        error, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return "answer cut off mid-body"
    return "connection dropped or refused"


def _progress_bar(total: int, *, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, unit="task", desc="Fetching", dynamic_ncols=True)
