"""Errors raised while turning source files into text."""

from __future__ import annotations


class IngestError(Exception):
    """A document could not be ingested.

    `reason` is a short, human-readable Chinese explanation meant for the editor who uploaded
    the file, e.g. "文件已损坏或不是有效的 PDF".
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
