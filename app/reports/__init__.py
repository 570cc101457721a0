"""Reports: server-side SVG charts (and, later, PDF and spreadsheet output)."""
