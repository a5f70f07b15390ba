"""Genogram layout and rendering, page templates and the static assets pages load."""
