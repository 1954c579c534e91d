"""DSR Desk connectors: the plugin contract and built-in types (never imports `app`)."""
