"""Bytes on disk: the only package that imports TinyDB, filelock and orjson."""
