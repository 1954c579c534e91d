"""Mail in and out: outbox, SMTP transport, inbound parsing, classification and threading."""
