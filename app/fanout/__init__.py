"""Fan-out: one task per connector for an approved request, claimed and run by workers."""
