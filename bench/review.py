"""Review workspace benchmark: page render time and sustained grading throughput.

Run: ``.venv/bin/python bench/review.py`` (``--db postgresql://...`` for PostgreSQL; default a
fresh SQLite file). The workspace runs as ``trajforge review serve`` in its own process, on
loopback; this process is the browser side (httpx).

- **render**: p50 / p90 of ``GET /items/<key>`` for a 200-step trajectory (``--steps``; the
  steps of generated support episodes, in turn, with their labels, results and faults), signed
  in, over ``--renders`` requests; the baseline is the sign-in page, the smallest page the same
  server renders (template, session and headers, no trajectory), measured in the same run.
  Target (issue 17): p50 < 150 ms.
- **grading**: ``--reviewers`` (20) simulated reviewers at once, each signed in and grading the
  steps of its own item over and over (class, quality, comment, with the version the last save
  gave back, as the page's script does) for ``--seconds``; requests per second, errors (any
  answer but 200), and lost labels: every save must be in the database afterwards (the grades'
  versions add up to the saves).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from trajforge.io import read_trajectories
from trajforge.review.db import open_database
from trajforge.review.models import Grade
from trajforge.review.store import add_item, assign, create_user, project_named
from trajforge.run.runner import Runner
from trajforge.run.spec import spec_from_flags
from trajforge.schema import Trajectory

PASSWORD = "bench-password"


def long_trajectory(steps: int, work: Path) -> Trajectory:
    """A trajectory of ``steps`` steps made of generated support episodes' steps."""
    spec = spec_from_flags(
        {
            "mix": [{"env": "support", "tasks": 20, "mistakes": 0.3, "faults": "flaky"}],
            "seed": 7,
            "format": "jsonl",
        }
    )
    asyncio.run(Runner(spec, work / "gen").run())
    episodes = list(read_trajectories(work / "gen"))
    pool = [s for t in episodes for s in t.steps]
    base = episodes[0]
    base.steps = [pool[i % len(pool)] for i in range(steps)]
    base.id = f"bench-{steps}-steps"
    return base


def seed(url: str, trajectory: Trajectory, reviewers: int) -> list[str]:
    """The workspace's accounts, and one copy of the trajectory per reviewer (their keys)."""
    database = open_database(url)
    keys = []
    with database.transaction() as session:
        project = project_named(session, "bench", create=True)
        create_user(session, "admin", PASSWORD, "admin")
        for r in range(reviewers):
            user = create_user(session, f"r{r}", PASSWORD, "reviewer")
            assign(session, project, user)
            keys.append(add_item(session, project, trajectory).key)
    database.engine.dispose()
    return keys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TRAJFORGE_SECRET_KEY": secrets.token_urlsafe(48)}
    command = [
        sys.executable,
        "-m",
        "trajforge",
        "review",
        "serve",
        "--db",
        url,
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the workspace did not start")


def csrf(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def signed_in(base: str, user: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(base_url=base, timeout=60)
    token = csrf((await client.get("/login")).text)
    response = await client.post(
        "/login", data={"username": user, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return client, csrf((await client.get("/")).text)


async def timings(client: httpx.AsyncClient, path: str, n: int) -> list[float]:
    found = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.get(path)
        found.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return found


async def render(base: str, key: str, n: int) -> tuple[list[float], list[float]]:
    client, _ = await signed_in(base, "admin")
    await timings(client, f"/items/{key}", 3)  # warm up
    baseline = await timings(client, "/login", n)
    page = await timings(client, f"/items/{key}", n)
    await client.aclose()
    return baseline, page


async def reviewer(
    client: httpx.AsyncClient, token: str, key: str, steps: int, until: float
) -> tuple[int, int]:
    versions = [0] * steps
    saved = errors = 0
    step = 0
    while time.monotonic() < until:
        form = {
            "step": str(step),
            "version": str(versions[step]),
            "label": ("correct", "error")[saved % 2],
            "quality": str(saved % 5 + 1),
            "comment": f"save {saved}",
            "csrf_token": token,
        }
        response = await client.post(
            f"/items/{key}/grade", data=form, headers={"X-Requested-With": "fetch"}
        )
        if response.status_code == 200:
            versions[step] = response.json()["version"]
            saved += 1
        else:
            errors += 1
        step = (step + 1) % steps
    return saved, errors


async def grading(base: str, keys: list[str], steps: int, seconds: float) -> tuple[int, int, float]:
    sessions = [await signed_in(base, f"r{r}") for r in range(len(keys))]  # before the clock
    started = time.monotonic()
    until = started + seconds
    results = await asyncio.gather(
        *(reviewer(c, t, key, steps, until) for (c, t), key in zip(sessions, keys, strict=True))
    )
    elapsed = time.monotonic() - started
    for client, _ in sessions:
        await client.aclose()
    return sum(s for s, _ in results), sum(e for _, e in results), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--graded-steps", type=int, default=10, help="steps each reviewer cycles through"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.db or str(work / "review.db")
        keys = seed(url, long_trajectory(args.steps, work), args.reviewers)
        port = free_port()
        server = serve(url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            baseline, page = asyncio.run(render(base, keys[0], args.renders))
            saved, errors, elapsed = asyncio.run(
                grading(base, keys, args.graded_steps, args.seconds)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        database = open_database(url)
        with database.session() as session:
            stored = session.scalar(select(func.coalesce(func.sum(Grade.version), 0)))
        database.engine.dispose()
    b50, p50 = statistics.median(baseline), statistics.median(page)
    p90 = statistics.quantiles(page, n=10)[-1]
    print(f"backend: {'postgresql' if args.db and '://' in args.db else 'sqlite'}")
    print(f"render  sign-in page (baseline)  p50 {b50:7.1f} ms")
    print(
        f"render  {args.steps}-step trajectory      p50 {p50:7.1f} ms  p90 {p90:7.1f} ms  "
        f"({p50 / b50:.1f}x the baseline; target p50 < 150 ms: {'met' if p50 < 150 else 'MISSED'})"
    )
    lost = saved - int(stored or 0)
    print(
        f"grading {args.reviewers} reviewers x {elapsed:.1f} s: {saved / elapsed:,.0f} saves/s, "
        f"{saved:,} saves, {errors} errors, {lost} lost labels"
    )


if __name__ == "__main__":
    main()
