"""Async test rewards that wait like a judge call and record how many samples were in flight at once."""

from __future__ import annotations

import asyncio
import threading
import time

from pydantic import Field

from rewardkit.reward import Reward, SlowRewardParams


class Flight:
    """Samples in flight across every reward sharing it, and the most there ever were."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1

    def __enter__(self) -> None:  # `with FLIGHT:` around a sample's wait
        self.enter()

    def __exit__(self, *exc) -> None:
        self.leave()


FLIGHT = Flight()  # module-level so rewards built from YAML share it


class WaitParams(SlowRewardParams):
    seconds: float = Field(0.05, ge=0)


class Waits(Reward):
    """Waits ``seconds`` per sample (as a judge call would), then scores the completion's length;
    "boom" raises, "none" is unscorable, and each sample's length is noted in the detail."""

    name = "waits"
    description = "test: an async reward that waits per sample"
    Params = WaitParams

    async def score(self, sample):
        with FLIGHT:
            await asyncio.sleep(self.params.seconds)
        if sample.completion == "boom":
            raise ValueError("boom")
        if sample.completion == "none":
            return None
        return float(len(sample.completion))


class WaitsBatch(Reward):
    """An async batch method: one wait for the whole batch (a group-relative judge call)."""

    name = "waits_batch"
    description = "test: an async batch reward"
    Params = WaitParams

    async def score_batch(self, batch):
        with FLIGHT:
            await asyncio.sleep(self.params.seconds)
        for i, sample in enumerate(batch.samples):
            batch.note("rank", i, i)
        batch.count("calls")
        return [float(i) for i in range(len(batch))]


class WaitsGroups(Reward):
    """An async batch method that scores samples two at a time (one call per pair, as a request
    carrying several samples would), through the contract's ``gather_scores``."""

    name = "waits_groups"
    description = "test: an async batch reward scoring pairs of samples"
    Params = WaitParams

    async def score_batch(self, batch):
        async def pair(rows):
            with FLIGHT:
                await asyncio.sleep(self.params.seconds)
            if any(batch.samples[i].completion == "boom" for i in rows):
                raise ValueError("boom")
            for i in rows:
                batch.note("pair", i, rows[0])
            return [float(len(batch.samples[i].completion)) for i in rows]

        batch.count("calls", (len(batch) + 1) // 2)
        return await self.gather_scores(batch, pair, [list(range(i, min(i + 2, len(batch)))) for i in range(0, len(batch), 2)])


class MeetParams(SlowRewardParams):
    meet: int = Field(1, ge=1)  # samples in flight at once (across every reward sharing FLIGHT) it waits for
    seconds: float = Field(30.0, ge=0)  # how long it waits for them


class Meets(Reward):
    """Scores 1.0 once ``meet`` samples have been in flight at once, 0.0 if they never were within
    ``seconds``: shows that calls overlap without timing them (a loaded machine only makes it wait)."""

    name = "meets"
    description = "test: an async reward that waits for others to be in flight"
    Params = MeetParams

    async def score(self, sample):
        with FLIGHT:
            deadline = time.monotonic() + self.params.seconds
            while FLIGHT.peak < self.params.meet and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            return float(FLIGHT.peak >= self.params.meet)
