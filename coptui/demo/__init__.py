"""Every piece of demo content: a community with a year of history."""
