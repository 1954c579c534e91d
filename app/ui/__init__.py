"""The staff web UI: server-rendered pages on top of the same flows as the JSON API."""
