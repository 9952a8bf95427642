"""``rotordx serve --demo``: a simulated fleet that the page shows live.

Six machines of :func:`rotordx.simulate.faults.draw_machine` (their drives,
sensors, units and bearings), each with a story over the last day, one
snapshot an hour: M01 stays normal, M02 develops unbalance, M03 runs
misaligned, M04 works loose, M05's bearing outer race fails, M06 runs with an
inner-race defect. Then a new snapshot of the next machine every
``interval`` seconds, at the present time, in its current state. The
snapshots go through the same workers and store as uploads; an existing
database is not filled again (the live snapshots go on). Everything is a
function of ``seed``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import numpy as np
from fastapi.concurrency import run_in_threadpool

from rotordx.service import store
from rotordx.service.jobs import SamplesJob
from rotordx.simulate.faults import CHANNELS, DIRECTIONS, G, Machine, draw_machine, synthesize

__all__ = ["STORIES", "feed"]

log = logging.getLogger("rotordx.service")

#: Each machine's states over the last day: (from hour, state).
STORIES: tuple[tuple[tuple[int, str], ...], ...] = (
    ((0, "normal"),),
    ((0, "normal"), (15, "unbalance")),
    ((0, "misalignment"),),
    ((0, "normal"), (11, "looseness")),
    ((0, "normal"), (18, "bearing_outer_race")),
    ((0, "bearing_inner_race"),),
)
HOURS = 24
SECONDS = 1.0


def _state(story, hour: int) -> str:
    return [s for h, s in story if h <= hour][-1]


def _metadata(m: Machine) -> dict:
    g = m.bearing
    return {
        "bearing": f"{g.n_balls}:{g.ball_diameter:g}:{g.pitch_diameter:g}:{g.contact_angle_deg:g}",
        "rpm": round(m.rpm, 1) if m.speed_known else None,
        "channels": list(CHANNELS),
        "directions": list(DIRECTIONS),
        "units": m.units,
        "thresholds": "group2_rigid",
        "description": f"simulated {m.kind} drive, {m.fs} Hz sensor in {m.units}",
    }


async def _one(svc, m: Machine, meta, state: str, time: dt.datetime, rng) -> None:
    acc, _, _ = synthesize(m, state, seconds=SECONDS, rng=rng)
    x = acc / G if m.units == "g" else acc
    job = SamplesJob(
        samples=x.astype(np.float32),
        rate=float(m.fs),
        channels=tuple(CHANNELS),
        name=f"{m.id}_{time:%Y%m%dT%H%M%S}",
        machine=meta,
    )
    out = await svc.pool.run(job, timeout=svc.settings.timeout, wait=True)
    if not hasattr(out, "diagnosis"):
        log.warning("demo snapshot refused", extra={"fields": {"detail": out.message}})
        return
    await run_in_threadpool(
        store.store_outcome, svc.db, m.id, out, time=time, source="demo", size=x.nbytes
    )


async def feed(svc, *, seed: int, interval: float = 5.0) -> None:
    """Fill an empty database with the fleet's day, then add a snapshot every ``interval`` s."""
    machines = [draw_machine(i, seed) for i in range(len(STORIES))]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    fresh = not await run_in_threadpool(store.list_machines, svc.db)
    metas = {}
    for m in machines:
        if fresh:
            await run_in_threadpool(store.put_machine, svc.db, m.id, _metadata(m))
        metas[m.id] = store.machine_meta(await run_in_threadpool(store.get_machine, svc.db, m.id))
    if fresh:
        for i, (m, story) in enumerate(zip(machines, STORIES, strict=True)):
            for hour in range(HOURS):
                rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, hour)))
                time = now - dt.timedelta(hours=HOURS - hour)
                await _one(svc, m, metas[m.id], _state(story, hour), time, rng)
        log.info("demo fleet stored", extra={"fields": {"machines": len(machines), "hours": HOURS}})
    k = 0
    while True:
        await asyncio.sleep(interval)
        i = k % len(machines)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, HOURS + k)))
        m = machines[i]
        state = _state(STORIES[i], HOURS)
        await _one(svc, m, metas[m.id], state, dt.datetime.now(dt.UTC), rng)
        k += 1
