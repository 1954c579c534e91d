"""Response deadlines: the legal rules table, due dates, at-risk and overdue checks."""
