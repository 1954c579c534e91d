"""Identity verification: emailed links and codes, reminders and auto-close."""
