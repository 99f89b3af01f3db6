"""Channel adapters: each turns a platform's protocol into turns of the conversation core
(`govbot.conversations.core.Conversations.turn`). A channel knows nothing of another (an
import-linter contract): `web/` (the page, the widget, POST /api/chat) and `wechat/`."""
