"""coptui: surveys, live retrospectives and trend charts for Communities of Practice."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coptui")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
