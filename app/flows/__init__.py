"""Flows: the work that spans domains (intake, review, verification, answering, retention).

A flow orchestrates the kernel (`app.requests`) and the domains; nothing below imports it.
"""
