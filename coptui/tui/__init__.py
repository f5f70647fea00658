"""Pixels: the Textual app, its screens and widgets."""
