"""Which split (train / dev / test) an item of the reader's data belongs to.

Split by item, so that no item is in two splits: the reader is measured on items it never saw,
as it will be on a city's knowledge base it never saw. Items of one service (a guide, its Q&As,
its district versions) form one group in the sample knowledge base; every other item is its own
group. The split of a group is a stable hash of its name: the same on every machine and run.
"""

from __future__ import annotations

import hashlib
import re

SPLITS = ("train", "dev", "test")
_PREFIX = re.compile(r"^(qa|guide|dept)-")
_NUMBER = re.compile(r"-\d+$")
_DISTRICTS = ("-nanhu", "-chengxi", "-chengdong", "-gaoxin")


def group_of(kb: str, key: str) -> str:
    """The group an item belongs to (its service in the sample KB, else the item itself)."""
    if kb != "sample" or key.startswith("dept-"):
        return key
    name = _NUMBER.sub("", _PREFIX.sub("", key))
    for district in _DISTRICTS:
        name = name.removesuffix(district)
    return name


def split_of(kb: str, key: str, test_share: int = 20, dev_share: int = 10) -> str:
    digest = hashlib.sha256(f"{kb}:{group_of(kb, key)}".encode()).hexdigest()
    bucket = int(digest[:8], 16) % 100
    if bucket < test_share:
        return "test"
    if bucket < test_share + dev_share:
        return "dev"
    return "train"
