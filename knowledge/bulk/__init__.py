"""Bulk import for the policy-owner console: preview an uploaded file, then commit it all or nothing.

Formats: Excel (.xlsx, the main path, see `template_workbook`), CSV, Word (.docx) and PDF.
"""

from knowledge.bulk.preview import commit_import, preview_import
from knowledge.bulk.problems import ImportPreview, ImportRejected, PreviewRow, Problem
from knowledge.bulk.templates import template_workbook

__all__ = ["ImportPreview", "ImportRejected", "PreviewRow", "Problem", "commit_import", "preview_import", "template_workbook"]
