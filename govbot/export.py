"""CSV exports that department staff open in Excel."""

from __future__ import annotations

import csv
import io

# a cell Excel would read as a formula (OWASP "CSV injection"): text written by citizens and staff
# reaches these files, so such a cell is prefixed with an apostrophe and shown as the text it is
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(cell):
    """The cell as Excel should show it: text never starts a formula; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def excel_csv(header: list[str], rows) -> str:
    """CSV text with a UTF-8 BOM: Excel then reads the Chinese as UTF-8, not as the local code page."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutral(cell) for cell in header])
    writer.writerows([neutral(cell) for cell in row] for row in rows)
    return "\ufeff" + out.getvalue()
