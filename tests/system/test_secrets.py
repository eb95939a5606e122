"""No secret written: the API key never reaches a file, a message, a repr or another host."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aitoearn_lab import AiToEarnError, AuthenticationError, Client
from aitoearn_lab.config import redact_key
from aitoearn_lab.simulator import FaultPlan, ManualClock, Simulator
from tests.support import ANCHOR
from tests.support.leaks import every_file, places_holding
from tests.support.remote import Crafted, RemoteService, envelope

KEY = "ai_" + "SECRETKEY" * 5
WRONG_KEY = "ai_" + "WRONGKEY7" * 5


@pytest.fixture
def keyed_sim() -> Iterator[Simulator]:
    with Simulator(tasks=120, seed=31, clock=ManualClock(ANCHOR), api_key=KEY) as simulator:
        yield simulator


def run_cli(
    args: list[str], *, cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "aitoearn_lab", *args],
        cwd=cwd,
        env=env,
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_the_key_is_nowhere_after_a_whole_command_line_session(
    keyed_sim: Simulator, tmp_path: Path
) -> None:
    """Fetch to every format, stdout, report, cache info/clear, demo, a refused key, faults."""
    work = tmp_path / "work"
    work.mkdir()
    ids_file = work / "ids.txt"
    ids = [*keyed_sim.task_ids[:60], "nothex", keyed_sim.world.unknown_task_id()]
    ids_file.write_text("\n".join(ids) + "\n")
    env = {
        **os.environ,
        "AITOEARN_API_KEY": KEY,
        "AITOEARN_BASE_URL": keyed_sim.base_url,
        "AITOEARN_LAB_CACHE": str(work / "cache" / "tasks.sqlite"),
        "HOME": str(work / "home"),
        "XDG_CACHE_HOME": str(work / "xdg"),
        "TMPDIR": str(work / "tmp"),
    }
    (work / "tmp").mkdir()
    fetch = ["fetch", "--ids-file", str(ids_file), "--workers", "4"]
    runs = {
        "csv": run_cli([*fetch, "-o", "out/tasks.csv"], cwd=work, env=env),
        "parquet": run_cli([*fetch, "-o", "out/tasks.parquet"], cwd=work, env=env),
        "jsonl": run_cli([*fetch, "-o", "out/tasks.jsonl", "--no-progress"], cwd=work, env=env),
        "stdout": run_cli(["fetch", "--ids-file", "-"], cwd=work, env=env, stdin="\n".join(ids)),
        "info": run_cli(["cache", "info"], cwd=work, env=env),
        "demo": run_cli(
            ["demo", "-o", "demo", "--tasks", "200", "--no-progress"], cwd=work, env=env
        ),
        "refused": run_cli(fetch, cwd=work, env={**env, "AITOEARN_API_KEY": WRONG_KEY}),
    }
    keyed_sim.faults = FaultPlan(
        server_error=0.2, rate_limit=0.1, malformed=0.1, permanent=0.05, retry_after=0, seed=9
    )
    runs["faulty"] = run_cli(
        [*fetch, "--pending-ttl", "0", "--max-retries", "1", "-o", "out/faulty.csv"],
        cwd=work,
        env={**env, "AITOEARN_LAB_CACHE": str(work / "cache" / "faulty.sqlite")},
    )
    runs["report"] = run_cli(["report", "out/tasks.parquet", "-o", "out/report"], cwd=work, env=env)
    runs["clear"] = run_cli(["cache", "clear"], cwd=work, env=env)

    codes = {name: run.returncode for name, run in runs.items()}
    assert codes == {
        "csv": 0,
        "parquet": 0,
        "jsonl": 0,
        "stdout": 0,
        "info": 0,
        "demo": 0,
        "refused": 2,
        "faulty": 1,
        "report": 0,
        "clear": 0,
    }, {name: run.stderr[-400:] for name, run in runs.items()}
    written = every_file(work)
    assert {
        "out/tasks.csv",
        "out/tasks.parquet",
        "out/tasks.jsonl",
        "out/faulty.csv",
        "out/report/report.html",
        "out/report/by_model.csv",
    } <= set(written)
    assert any(name.startswith("cache/tasks.sqlite") for name in written)
    printed = {
        f"{name} {stream}": getattr(run, stream)
        for name, run in runs.items()
        for stream in ("stdout", "stderr")
    }
    assert b"Fetching" in printed["csv stderr"]  # the progress bar was drawn, and searched
    assert places_holding(KEY, {**written, **printed}) == []
    assert places_holding(WRONG_KEY, {**written, **printed}) == []


def test_the_searcher_finds_the_key_where_it_is() -> None:
    """The search above is not blind: each form it looks for is found when present."""
    blobs = {
        "raw": b"x" + KEY.encode() + b"y",
        "b64": b"value=" + base64.b64encode(b"{" + KEY.encode() + b"}"),
        "urlsafe": base64.urlsafe_b64encode(b"ab" + KEY.encode()),
        "hex": KEY.encode().hex().encode(),
        "fragment": KEY[5:40].encode(),
        "clean": b"ai_" + b"x" * 48,
    }
    found = places_holding(KEY, blobs)
    assert {place.split(" ")[0] for place in found} == {"raw", "b64", "urlsafe", "hex", "fragment"}


def test_repr_and_str_of_the_client_mask_the_key(keyed_sim: Simulator, tmp_path: Path) -> None:
    with Client(api_key=KEY, base_url=keyed_sim.base_url, cache=tmp_path / "c.sqlite") as client:
        shown = " ".join(
            [repr(client), str(client), repr(client.settings), repr(client.last_fetch)]
        )
        client.fetch(keyed_sim.task_ids[:3], progress=False)
        shown += repr(client.last_fetch) + client.last_fetch.describe()
    assert places_holding(KEY, {"repr": shown.encode()}) == []
    assert KEY[-4:] in repr(client)  # enough to tell keys apart


def echo_everywhere(task_id: str, key: str) -> Crafted:
    """A peer that puts the caller's key into whatever part of an answer a task ID selects."""
    kind = task_id[-2:]
    if kind == "01":  # an error envelope whose message quotes the key
        return Crafted(body=envelope({}, code=12302, message=f"no task for key {key}"))
    if kind == "02":  # a non-JSON page that starts with the key (cut to a snippet in messages)
        return Crafted(
            body=f"{key} is not allowed here".encode(), headers={"Content-Type": "text/html"}
        )
    if kind == "03":  # a 503 with a reason phrase made of the key
        return Crafted(status=503, reason=f"Busy {key}", body=b"busy")
    if kind == "04":  # a record for another task, whose id is the key
        record = {
            "id": key,
            "model": "m",
            "status": "SUCCESS",
            "input": {"prompt": "p"},
            "submittedAt": "2026-07-02T12:00:00Z",
            "startedAt": "2026-07-02T12:00:00Z",
        }
        return Crafted(body=envelope(record))
    if kind == "05":  # an unknown code with the key as its request ID
        body = envelope({}, code=12399, message="odd")
        body["requestId"] = key
        return Crafted(body=body)
    if kind == "06":  # a redirect whose target carries the key
        return Crafted(status=302, headers={"Location": f"http://127.0.0.1:9/x?key={key}"})
    if kind == "07":  # a 404 with the key in the reason phrase
        return Crafted(status=404, reason=f"Missing {key}")
    if kind == "08":  # a transient envelope code that quotes the key, forever
        return Crafted(body=envelope({}, code=500, message=f"relay error for {key}"))
    # a 401 envelope that quotes the key: stops the batch
    return Crafted(body=envelope({}, code=401, message=f"Unauthorized: {key} is unknown"))


def test_error_messages_never_carry_the_key_even_when_the_peer_echoes_it(tmp_path: Path) -> None:
    service = RemoteService()
    service.answer = lambda task_id: echo_everywhere(task_id, KEY)
    task_ids = [f"{n:022x}{n:02d}" for n in range(1, 9)]
    texts: list[str] = []
    with (
        service.running(),
        Client(
            api_key=KEY,
            base_url=service.base_url,
            cache=tmp_path / "c.sqlite",
            workers=2,
            max_retries=1,
            sleep=lambda s: None,
        ) as client,
    ):
        tasks = client.fetch(task_ids, progress=False)
        for task_id in [*task_ids, f"{9:022x}09"]:
            with pytest.raises(AiToEarnError) as caught:
                client.get_task(task_id)
            error = caught.value
            texts += [
                str(error),
                repr(error),
                *map(str, error.args),
                *map(str, vars(error).values()),
            ]
        with pytest.raises(AuthenticationError) as refused:
            client.fetch([f"{9:022x}09", *task_ids], progress=False)
        texts += [str(refused.value), repr(refused.value), *map(str, vars(refused.value).values())]
    assert tasks["fetch_error"].notna().all()
    texts += [str(v) for v in tasks["fetch_error"]] + [str(v) for v in tasks["anomalies"]]
    blob = "\n".join(texts)
    assert places_holding(KEY, {"messages": blob.encode()}) == []
    assert "no task for key ***" in blob  # the rest of the message is kept
    assert places_holding(KEY, every_file(tmp_path)) == []


def test_the_key_is_not_sent_to_where_a_redirect_points(tmp_path: Path) -> None:
    elsewhere = RemoteService()
    service = RemoteService()
    with elsewhere.running(), service.running():
        target = elsewhere.base_url.replace("127.0.0.1", "localhost")
        service.answer = lambda task_id: Crafted(
            status=301, headers={"Location": f"{target}/api/ai/video/generations/{task_id}"}
        )
        with Client(api_key=KEY, base_url=service.base_url, cache=tmp_path / "c.sqlite") as client:
            tasks = client.fetch(["6a461da66fe8a12d33daabdd"], progress=False)
    assert [s.api_key for s in elsewhere.seen] == []
    assert "redirect" in tasks.loc[0, "fetch_error"] and "301" in tasks.loc[0, "fetch_error"]
    assert places_holding(KEY, every_file(tmp_path)) == []


def test_redaction_hides_the_key_and_its_long_fragments() -> None:
    assert redact_key(f"bad key {KEY}!", KEY) == "bad key ***!"
    assert redact_key(f"snippet: '{KEY[:30]}", KEY) == "snippet: '***"
    assert redact_key("Unauthorized (code 401)", KEY) == "Unauthorized (code 401)"
    assert redact_key("ai_ is the prefix", KEY) == "ai_ is the prefix"  # short runs are words


def longest_run_of(key: str, text: str) -> int:
    """The length of the longest piece of ``key`` that appears in ``text``."""
    return max(
        (
            n
            for i in range(len(text))
            for n in range(1, len(text) - i + 1)
            if text[i : i + n] in key
        ),
        default=0,
    )


@given(
    key=st.text(alphabet="abcXYZ019_", min_size=8, max_size=40),
    pieces=st.lists(
        st.tuples(st.text(max_size=6), st.integers(0, 40), st.integers(0, 40)), max_size=4
    ),
)
@settings(max_examples=200)
def test_redaction_leaves_no_piece_of_eight_or_more(
    key: str, pieces: list[tuple[str, int, int]]
) -> None:
    text = "".join(filler + key[a : a + n] for filler, a, n in pieces)
    redacted = redact_key(text, key)
    assert longest_run_of(key, redacted.replace("***", "\x00")) < 8
    if longest_run_of(key, text) < 8:
        assert redacted == text  # nothing else is touched


@pytest.mark.parametrize("workers", [1, 4])
def test_a_refused_key_stops_the_batch_after_the_requests_in_flight(
    keyed_sim: Simulator, tmp_path: Path, workers: int
) -> None:
    keyed_sim.faults = FaultPlan(latency=0.02)
    with Client(
        api_key=WRONG_KEY, base_url=keyed_sim.base_url, cache=tmp_path / "c.sqlite", workers=workers
    ) as client:
        with pytest.raises(AuthenticationError):
            client.fetch(keyed_sim.task_ids, progress=False)
        assert client.cache_size() == 0
    assert 1 <= len(keyed_sim.request_log) <= workers


def test_a_gateway_401_stops_the_batch_too(tmp_path: Path) -> None:
    service = RemoteService()
    service.answer = lambda task_id: Crafted(
        status=401,
        reason="Unauthorized",
        body=b"<html>401 Authorization Required</html>",
        headers={"Content-Type": "text/html"},
    )
    with (
        service.running(),
        Client(api_key=KEY, base_url=service.base_url, cache=False, workers=3) as client,
        pytest.raises(AuthenticationError, match="authentication failed"),
    ):
        client.fetch([f"{n:024x}" for n in range(200)], progress=False)
    assert 1 <= len(service.seen) <= 3


def test_a_refused_key_is_exit_code_2_with_one_line(keyed_sim: Simulator, tmp_path: Path) -> None:
    keyed_sim.faults = FaultPlan(latency=0.02)
    env = {
        **os.environ,
        "AITOEARN_API_KEY": WRONG_KEY,
        "AITOEARN_BASE_URL": keyed_sim.base_url,
        "AITOEARN_LAB_CACHE": str(tmp_path / "c.sqlite"),
    }
    done = run_cli(
        ["fetch", *keyed_sim.task_ids, "--workers", "4", "--no-progress", "-o", "t.csv"],
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr.decode().strip().count("\n") == 0
    assert b"authentication failed" in done.stderr and b"Traceback" not in done.stderr
    assert len(keyed_sim.request_log) <= 4
    assert not (tmp_path / "t.csv").exists()
