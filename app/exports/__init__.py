"""Results: the access export package, its secure download, and purging it."""
