"""argparse and the glue of each command."""
