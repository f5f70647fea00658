"""The UI-free domain: community, definitions, runs, the privacy gate, retro, feedback, metrics, trends."""
