"""Where an index stands in the store's change log, without skipping a change that commits late.

Change-log sequence numbers are drawn when a change is written, not when it commits. On
PostgreSQL two writers can commit out of order: a reader sees 11 while 10 is still uncommitted,
and a cursor that kept only "the highest number seen" would never apply 10. So the cursor keeps a
low-water mark (every number at or below it is applied) and the numbers applied above it; a
missing number above the mark (a gap) is asked for again at every check until it appears or
`gap_s` passes (a rolled-back write leaves a gap that never fills). On SQLite writers are
serialised and gaps do not arise; the cursor costs the same one query there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

GAP_S = 300.0  # a missing number older than this was rolled back (a long import commits sooner)


@dataclass
class ChangeCursor:
    low: int = 0  # every change at or below this number is applied
    seen: set[int] = field(default_factory=set)  # applied numbers above `low`
    gaps: dict[int, float] = field(default_factory=dict)  # missing number -> when first noticed
    gap_s: float = GAP_S

    @property
    def high(self) -> int:
        return max(self.seen, default=self.low)

    def settled(self, last: int) -> bool:
        """Nothing to do: the newest number is applied and no gap waits to be filled."""
        return last == self.high and not self.gaps

    def new(self, rows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Of the (number, item id) rows above `low`, those not applied yet."""
        return [(seq, item) for seq, item in rows if seq > self.low and seq not in self.seen]

    def advance(self, applied: list[int], clock=time.monotonic) -> None:
        """Mark `applied` numbers done; note the gaps below the highest; move the mark up over
        what is applied and over gaps older than `gap_s`."""
        self.seen.update(seq for seq in applied if seq > self.low)
        for seq in applied:
            self.gaps.pop(seq, None)  # filled
        now = clock()
        for seq in range(self.low + 1, self.high):
            if seq not in self.seen:
                self.gaps.setdefault(seq, now)
        while True:
            following = self.low + 1
            if following in self.seen:
                self.seen.discard(following)
                self.gaps.pop(following, None)
            elif following in self.gaps and now - self.gaps[following] >= self.gap_s:
                del self.gaps[following]  # rolled back: it will never appear
            else:
                break
            self.low = following
