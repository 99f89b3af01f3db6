"""The web chat channel (the page, the widget and their API)."""
