"""coptui: surveys, live retrospectives and trend charts for Communities of Practice."""

# The single source of the version (pyproject reads it from here): looking it up with
# importlib.metadata would cost every start 10-40 ms.
__version__ = "0.1.0"
