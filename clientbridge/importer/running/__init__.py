"""Running an import: the run loop, the row book, decisions, recovery, fan-out and dry runs."""
