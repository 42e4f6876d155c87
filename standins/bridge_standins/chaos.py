"""Random faults for the stand-in Amity: what an unreliable network and server do.

``FakeAmity.chaos(faults, rate)`` makes each request under a path draw, with probability
``rate``, one fault of the list (uniformly). A ``Fault`` is one of:

* ``Fault.error(status, code)``: an error answer (Amity's envelope; ``code=None`` for a
  proxy's HTML page, e.g. 502 or 503), the post not created;
* ``Fault.hang_up()``: the connection dropped before the post is created;
* ``Fault.lost_answer()`` / ``Fault.lost_answer(hang_up=True)``: the post is created,
  then the answer is lost (a proxy's 502, or a dropped connection);
* ``Fault.slow(seconds)``: the answer comes after ``seconds``, correct.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """One kind of failure (build with the class methods)."""

    kind: str  # "error" | "hang_up" | "lost_answer" | "lost_hang_up" | "slow"
    status: int = 0
    code: int | None = None
    message: str = "Injected failure"
    seconds: float = 0.0

    @classmethod
    def error(cls, status: int, code: int | None, message: str = "Injected failure") -> Fault:
        """An error answer; the request did nothing."""
        return cls("error", status, code, message)

    @classmethod
    def hang_up(cls) -> Fault:
        """The connection is closed before anything is done."""
        return cls("hang_up")

    @classmethod
    def lost_answer(cls, *, hang_up: bool = False) -> Fault:
        """The request is carried out, then its answer is lost (502 page, or hang-up)."""
        return cls("lost_hang_up" if hang_up else "lost_answer")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """A correct answer, late."""
        return cls("slow", seconds=seconds)


class Chaos:
    """Draws faults at random, reproducibly from ``seed``; counts what it drew."""

    def __init__(self, faults: list[Fault], rate: float, path_prefix: str, seed: int) -> None:
        self.faults = list(faults)
        self.rate = rate
        self.path_prefix = path_prefix
        self.drawn: dict[str, int] = {}
        self._random = random.Random(seed)  # noqa: S311 (test faults, not cryptography)
        self._lock = threading.Lock()

    def draw(self, path: str) -> Fault | None:
        """A fault for a request to ``path``, or None."""
        if not self.faults or not path.startswith(self.path_prefix):
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            fault = self._random.choice(self.faults)
            name = f"{fault.kind}:{fault.status}:{fault.code}" if fault.status else fault.kind
            self.drawn[name] = self.drawn.get(name, 0) + 1
        return fault
