"""Channel adapters: each turns a messaging platform's protocol into calls of `api.chat.converse`."""
