"""The data-subject request ticket: models, lifecycle, service, API and views."""
