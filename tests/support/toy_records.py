"""For tests of the store's bare mechanics, which store toy records: the shape check of
tables.py (tests/unit/test_store_damage.py tests it) is turned off for the whole test.

Import the fixture into a test module to have it apply to every test there::

    from tests.support.toy_records import records_of_no_declared_shape  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coptui.store.store import Store


@pytest.fixture(autouse=True)
def records_of_no_declared_shape() -> Iterator[None]:
    # Not through monkeypatch: some tests undo theirs halfway, and this must hold to the end.
    Store.check_shapes = False
    try:
        yield
    finally:
        Store.check_shapes = True
