"""The policy owners' admin API (`/api/admin/...`): a stable contract, also used by tools.

Editors and reviewers act within their own department; admins everywhere. Refusals: wrong role or
another department's item → 403; a workflow step out of order or a stale edit → 409 (with the
reason); bad input → 422. Every content, workflow and account action lands in the audit log.
"""

from fastapi import APIRouter

from api.admin import audit, gold, imports, insights, items, page, session

router = APIRouter()
for module in (session, items, imports, gold, audit, insights, page):
    router.include_router(module.router)
