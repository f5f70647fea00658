"""plotext figures built from metrics and trends."""
