"""Reporting: the per-row report file, progress lines and the end summary."""
