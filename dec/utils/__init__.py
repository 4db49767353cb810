"""Utilities every layer may use: atomic files, output paths, shipped resources, dates,
Markdown tables, figures and run metadata. Nothing here imports the rest of the package."""
