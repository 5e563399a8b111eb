"""Requests- and tokens-per-minute limits, on a fake clock."""

from __future__ import annotations

import asyncio

from summarise.limits import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rpm_waits_for_the_window_to_free_a_slot() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=2, clock=clock, sleep=clock.sleep)

    async def go() -> None:
        for _ in range(3):
            await limiter.acquire(10)
            clock.now += 1.0

    asyncio.run(go())
    assert clock.slept == [58.0]  # the third request waits until the first is a minute old


def test_tpm_counts_tokens_and_a_huge_request_still_goes_alone() -> None:
    clock = FakeClock()
    limiter = RateLimiter(tpm=1000, clock=clock, sleep=clock.sleep)

    async def go() -> None:
        await limiter.acquire(600)
        await limiter.acquire(600)  # would exceed 1000 in the minute: waits
        await limiter.acquire(5000)  # larger than the budget: waits for an empty window, then goes

    asyncio.run(go())
    assert clock.slept == [60.0, 60.0]


def test_no_limits_no_waiting() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    asyncio.run(limiter.acquire(10**9))
    assert clock.slept == []


def test_request_tokens_count_chinese_characters_and_english_words() -> None:
    from summarise.limits import estimate_request_tokens

    body = ("汉" * 1000 + "a" * 4000).encode("utf-8")
    assert estimate_request_tokens(body, max_tokens=400) == 1000 + 1000 + 100
