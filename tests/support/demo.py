"""The date the demo history is seeded at, so screens and snapshots show the same on every day."""

from datetime import date

DEMO_TODAY = date(2026, 11, 25)
