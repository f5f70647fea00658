"""SSH: `coptui serve`, one Textual app per connection."""
