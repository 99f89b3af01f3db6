"""The shared-state contract (govbot/shared), on the in-process backend; tests/cluster runs the
same checks on Redis."""

from __future__ import annotations

import threading
import time

from govbot.shared.base import SharedState
from govbot.shared.memory import MemoryState


def check_contract(state: SharedState, prefix: str) -> None:
    key = prefix + "claim"
    assert state.add(key, "working:a", 0.3) is True
    assert state.add(key, "working:b", 0.3) is False  # claimed: the second replica does not get it
    assert state.get(key) == "working:a"
    # a renewal holds only while the claim is still ours
    assert state.replace_if(key, "working:a", "working:a", 0.3) is True
    assert state.replace_if(key, "working:b", "working:b", 0.3) is False
    assert state.get(key) == "working:a"
    time.sleep(0.45)  # not renewed: lapsed, and the next claim wins
    assert state.get(key) is None
    assert state.replace_if(key, "working:a", "done:a", 60) is False  # a late renewal takes nothing back
    assert state.add(key, "working:b", 60) is True
    assert state.replace_if(key, "working:b", "done:b", 60) is True
    assert state.get(key) == "done:b"
    state.put(key, "x", 60)
    assert state.get(key) == "x"
    state.delete(key)
    assert state.get(key) is None
    assert [state.incr(prefix + "n", 2, 60) for _ in range(3)] == [2, 4, 6]


def check_claims_race(state: SharedState, prefix: str) -> None:
    """Many replicas claiming one message at once: exactly one gets it."""
    won = []
    barrier = threading.Barrier(16)

    def claim(n: int) -> None:
        barrier.wait()
        if state.add(prefix + "race", f"working:{n}", 30):
            won.append(n)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and state.get(prefix + "race") == f"working:{won[0]}"


def test_the_in_process_backend_keeps_the_contract():
    state = MemoryState()
    check_contract(state, "t:")
    check_claims_race(state, "t:")
