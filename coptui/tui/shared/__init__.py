"""Widgets that draw once for every session in a process (see README.md beside this file)."""
