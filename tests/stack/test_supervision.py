"""`govbot serve` supervises its children: a dead action server means 503 with the hotline at once
and is started again without a person; killing `serve` itself, even with SIGKILL, leaves no child."""

from __future__ import annotations

import os
import signal
import time

import httpx

from tests.conftest import Chat, copy_home, served


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (dead, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_dead_child_is_restarted_and_serve_leaves_no_orphans(sample_home, tmp_path):
    home = tmp_path / "home"
    copy_home(sample_home, home)
    with served(home, GOVBOT_HOST_ACTIONS="false") as stack:
        base, run = stack["base"], home / "run"
        citizen = Chat(base)
        assert citizen.say("居住证怎么办理")["replies"]
        actions = int((run / "actions.pid").read_text())
        os.kill(actions, signal.SIGKILL)
        refused = citizen.send("公积金怎么提取")
        assert refused.status_code == 503 and "12345" in refused.json()["detail"] and refused.headers["retry-after"]
        assert [m["role"] for m in citizen.history()][-1] == "citizen"  # the question is kept
        down = httpx.get(f"{base}/api/health", timeout=10)
        assert down.status_code == 503 and "actions" in down.json()["missing"]
        deadline = time.time() + 60
        while time.time() < deadline:  # nobody does anything: serve starts it again
            time.sleep(2)
            reply = citizen.send("公积金怎么提取")
            if reply.status_code == 200 and reply.json()["replies"]:
                break
        else:
            raise AssertionError("the action server did not come back within 60 s")
        assert int((run / "actions.pid").read_text()) != actions
        children = [int(p.read_text()) for p in run.glob("*.pid")]
        assert len(children) == 3 and all(_alive(pid) for pid in children)  # rasa, api, actions
        serve_pid = int(stack["pid"])
        os.kill(serve_pid, signal.SIGKILL)
        deadline = time.time() + 15
        while time.time() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.5)
        assert not [pid for pid in children if _alive(pid)], "children outlived serve"
