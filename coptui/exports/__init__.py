"""Files for humans: Markdown, CSV and JSON of surveys, retros and feedback."""
