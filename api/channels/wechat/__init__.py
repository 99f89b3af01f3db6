"""WeChat official-account connector: `router` serves GET/POST /wechat (see router.py)."""

from api.channels.wechat.router import router

__all__ = ["router"]
