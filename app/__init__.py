"""DSR Desk: a self-hosted desk for GDPR/CCPA data-subject requests."""
