"""Staff accounts, roles, API tokens and (later) the staff web UI."""
