"""CSV exports that department staff open in Excel."""

from __future__ import annotations

import csv
import io


def excel_csv(header: list[str], rows) -> str:
    """CSV text with a UTF-8 BOM: Excel then reads the Chinese as UTF-8, not as the local code page."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()
