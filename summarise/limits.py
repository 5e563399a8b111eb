"""Requests-per-minute and tokens-per-minute limits for the batch runner.

Input: an estimate of the tokens of the next request (every HTTP request: first asks, re-asks
and transport retries alike). Output: waiting until the last minute's budget has room. No I/O;
the clock and the sleep are injectable so tests need no real time.
A sliding window of the last 60 seconds, the way providers count.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class RateLimiter:
    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[tuple[float, int]] = deque()
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        return bool(self.rpm or self.tpm)

    async def acquire(self, tokens: int) -> None:
        if not self.active:
            return
        async with self._lock:
            while True:
                now = self._clock()
                while self._sent and now - self._sent[0][0] >= 60.0:
                    self._sent.popleft()
                used = sum(t for _, t in self._sent)
                fits_rpm = not self.rpm or len(self._sent) < self.rpm
                # One request larger than the whole budget still goes, alone, or it never would.
                fits_tpm = not self.tpm or used + tokens <= self.tpm or not self._sent
                if fits_rpm and fits_tpm:
                    self._sent.append((now, tokens))
                    return
                await self._sleep(max(0.01, 60.0 - (now - self._sent[0][0])))


def estimate_request_tokens(body: bytes, max_tokens: int) -> int:
    """A request's tokens from its UTF-8 JSON body: a Chinese character (3 bytes) near one token,
    other text near four characters a token, plus a quarter of the answer's cap."""
    chars = len(body.decode("utf-8", "replace"))
    wide = max(0, (len(body) - chars) // 2)
    return wide + (chars - wide) // 4 + max_tokens // 4
