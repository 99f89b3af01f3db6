"""The hotline operators' API (`/api/operator/...`, `/api/assist`) and their console page.

Rules: claiming a conversation someone else holds → 409; acting outside one's role or department →
403; unauthenticated → 401. Every action is audited.
"""

from fastapi import APIRouter

from api.operator import assist, conversations, flags, page, session

router = APIRouter()
for module in (session, conversations, assist, flags, page):
    router.include_router(module.router)
