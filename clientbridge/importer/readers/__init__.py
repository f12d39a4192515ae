"""Readers for files that are not plain text rows: Excel workbooks and vCards.

Each is a `clientbridge.importer.source.Source` (the same journal, report and resume as a
CSV file) and imports its parser only when such a file is opened.
"""
