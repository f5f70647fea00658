"""The community cache: a warm start skips validation, and nothing stale or damaged is trusted."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coptui.core.community_schema
from coptui.core import community_cache
from coptui.core.community import COMMUNITY_FILE, Community, community_path
from coptui.core.community_cache import (
    cache_key,
    cache_path,
    community_from_json,
    community_to_json,
    load_community_cached,
    read_cache,
)
from coptui.core.community_schema import load_community
from coptui.core.definitions import COMMUNITY_FILE as DEFINITIONS_COMMUNITY_FILE
from coptui.core.definitions import default_surveys_dir
from coptui.core.workspace import Workspace, WorkspaceError, shipped_surveys_dir
from coptui.store import keyed_cache

# Every optional field set, and numbers that TOML writes as integers (validation makes them floats).
FULL_COMMUNITY = """
name = "Guild"
domain = "Platforms"
stage = "maturing"
description = "We build the paved road."
authorized_keys = "keys/authorized_keys"

[[members]]
handle = "ada"
name = "Ada"
role = "facilitator"
title = "Staff engineer"
keys = ["ssh-ed25519 AAAA ada@laptop"]

[[members]]
handle = "bo"
name = "Bo"

[[objectives]]
id = "roti"
title = "Retros are worth the time"
metric = "roti"
target = 4
direction = "at_most"
window = 6
baseline = 3

[[objectives]]
id = "actions"
title = "Actions get done"
metric = "action_completion"
target = 0.6
"""


class ValidationCounter:
    """Counts validations of community files (the slow path a warm start skips)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = coptui.core.community_schema.parse_community

        def counting(path: Path | str, raw: bytes) -> tuple[Community | None, list]:
            self.calls += 1
            return real(path, raw)

        monkeypatch.setattr(coptui.core.community_schema, "parse_community", counting)


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> ValidationCounter:
    return ValidationCounter(monkeypatch)


def test_a_warm_start_builds_the_same_community_without_validating(
    data_dir: Path, surveys_dir: Path, validations: ValidationCounter
) -> None:
    first = Workspace.open(data_dir, surveys_dir).community
    assert validations.calls == 1 and cache_path(data_dir).is_file()
    second = Workspace.open(data_dir, surveys_dir).community
    assert validations.calls == 1
    assert second == first == load_community(community_path(surveys_dir))[0]
    assert second.member("ada") is not None and second.is_facilitator("ada")


def test_every_field_survives_the_cache(tmp_path: Path, data_dir: Path, validations: ValidationCounter) -> None:
    path = tmp_path / COMMUNITY_FILE
    path.write_text(FULL_COMMUNITY, encoding="utf-8")
    validated, problems = load_community_cached(path, data_dir)
    assert problems == [] and validated is not None
    cached, problems = load_community_cached(path, data_dir)
    assert validations.calls == 1 and problems == []
    assert cached == validated
    assert cached.objectives[0].target == 4.0 and isinstance(cached.objectives[0].target, float)
    assert cached.objectives[0].baseline == 3.0 and cached.objectives[0].window == 6
    assert (
        cached.members[0].keys == ["ssh-ed25519 AAAA ada@laptop"] and cached.authorized_keys == "keys/authorized_keys"
    )
    assert [m.handle for m in cached.facilitators] == ["ada"]


def test_an_edited_file_is_validated_again_and_the_cache_follows(
    data_dir: Path, surveys_dir: Path, validations: ValidationCounter
) -> None:
    Workspace.open(data_dir, surveys_dir)
    path = community_path(surveys_dir)
    path.write_text(
        path.read_text(encoding="utf-8").replace('name = "Platform Engineering Guild"', 'name = "Renamed Guild"'),
        encoding="utf-8",
    )
    assert Workspace.open(data_dir, surveys_dir).community.name == "Renamed Guild"
    assert validations.calls == 2
    assert Workspace.open(data_dir, surveys_dir).community.name == "Renamed Guild"
    assert validations.calls == 2  # the new bytes are cached now


def test_a_file_broken_after_it_was_cached_is_still_refused(data_dir: Path, surveys_dir: Path) -> None:
    Workspace.open(data_dir, surveys_dir)
    path = community_path(surveys_dir)
    path.write_text(
        path.read_text(encoding="utf-8").replace('role = "facilitator"', 'role = "boss"', 1), encoding="utf-8"
    )
    with pytest.raises(WorkspaceError) as refused:
        Workspace.open(data_dir, surveys_dir)
    assert any(p.path == "members[0].role" and "'boss' is not allowed" in p.message for p in refused.value.problems)


def test_a_file_that_cannot_be_read_says_so(data_dir: Path, tmp_path: Path) -> None:
    community, problems = load_community_cached(tmp_path / COMMUNITY_FILE, data_dir)
    assert community is None and len(problems) == 1 and "cannot be read" in problems[0].message


def test_a_new_coptui_version_validates_again(
    data_dir: Path, surveys_dir: Path, validations: ValidationCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace.open(data_dir, surveys_dir)
    monkeypatch.setattr(community_cache, "__version__", "99.0.0")
    Workspace.open(data_dir, surveys_dir)
    assert validations.calls == 2
    Workspace.open(data_dir, surveys_dir)
    assert validations.calls == 2


def test_the_key_covers_the_bytes_the_version_and_the_validating_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = cache_key(b"name = 'x'")
    assert cache_key(b"name = 'x'") == key
    assert cache_key(b"name = 'y'") != key
    monkeypatch.setattr(community_cache, "__version__", "99.0.0")
    assert cache_key(b"name = 'x'") != key
    monkeypatch.undo()
    # A developer's edit of the validating modules: a copy of the package with one changed.
    package = tmp_path / "coptui"
    package.mkdir()
    for name in community_cache._VALIDATING_MODULES:
        (package / name).write_text("# a module\n")
    monkeypatch.setattr(community_cache, "__file__", str(package / "community_cache.py"))
    copied = cache_key(b"name = 'x'")
    (package / "community_schema.py").write_text("# a module, edited\n")
    assert cache_key(b"name = 'x'") != copied


def _damage_body(content: bytes) -> bytes:
    head, _, body = content.partition(b"\n")
    return head + b"\n" + body.replace(b'"facilitator"', b'"member"     ', 1)


def _forge_consistent(content: bytes) -> bytes:
    # Right key, right digest, but a body no validation can give (a number as a name).
    head, _, body = content.partition(b"\n")
    data = orjson.loads(body)
    data["name"] = 42
    forged = orjson.dumps(data)
    header = orjson.loads(head)
    header["sha256"] = community_cache.hashlib.sha256(forged).hexdigest()
    return orjson.dumps(header) + b"\n" + forged


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda content: content[: len(content) // 2], id="truncated"),
        pytest.param(lambda content: b"", id="empty"),
        pytest.param(lambda content: b"\x00\xff not json at all", id="garbage"),
        pytest.param(lambda content: b"[1, 2, 3]\n{}", id="foreign-json"),
        pytest.param(_damage_body, id="body-edited"),
        pytest.param(_forge_consistent, id="forged-body"),
    ],
)
def test_a_damaged_cache_is_ignored_and_replaced(
    damage, data_dir: Path, surveys_dir: Path, validations: ValidationCounter
) -> None:
    expected = Workspace.open(data_dir, surveys_dir).community
    cache = cache_path(data_dir)
    cache.write_bytes(damage(cache.read_bytes()))
    assert Workspace.open(data_dir, surveys_dir).community == expected
    assert validations.calls == 2
    assert Workspace.open(data_dir, surveys_dir).community == expected
    assert validations.calls == 2  # written anew, whole


def test_a_cache_another_user_could_have_written_is_not_used(
    data_dir: Path, surveys_dir: Path, validations: ValidationCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its key and digest are easy to make: what makes it ours is who owns it and who can write it.
    Workspace.open(data_dir, surveys_dir)
    cache = cache_path(data_dir)
    assert cache.stat().st_mode & 0o077 == 0  # written for its owner only
    cache.chmod(0o664)
    Workspace.open(data_dir, surveys_dir)
    assert validations.calls == 2
    assert cache.stat().st_mode & 0o077 == 0  # replaced by one of ours
    copy = data_dir / "elsewhere.json"
    copy.write_bytes(cache.read_bytes())
    copy.chmod(0o600)
    cache.unlink()
    cache.symlink_to(copy)
    Workspace.open(data_dir, surveys_dir)
    assert validations.calls == 3
    assert not cache.is_symlink()
    monkeypatch.setattr(keyed_cache.os, "geteuid", lambda: cache.stat().st_uid + 1)
    Workspace.open(data_dir, surveys_dir)
    assert validations.calls == 4


def test_a_cache_of_another_community_file_is_not_used(tmp_path: Path, data_dir: Path) -> None:
    first, second = tmp_path / "one" / COMMUNITY_FILE, tmp_path / "two" / COMMUNITY_FILE
    for path, name in ((first, "One"), (second, "Two")):
        path.parent.mkdir()
        path.write_text(FULL_COMMUNITY.replace('name = "Guild"', f'name = "{name}"'), encoding="utf-8")
    assert load_community_cached(first, data_dir)[0].name == "One"  # type: ignore[union-attr]
    assert load_community_cached(second, data_dir)[0].name == "Two"  # type: ignore[union-attr]
    assert load_community_cached(first, data_dir)[0].name == "One"  # type: ignore[union-attr]


def test_a_data_folder_that_cannot_hold_the_cache_still_opens(
    data_dir: Path, surveys_dir: Path, validations: ValidationCounter
) -> None:
    data_dir.mkdir()
    (data_dir / community_cache.CACHE_DIR).write_text("a file where the cache folder would go")
    assert Workspace.open(data_dir, surveys_dir).community.name == "Platform Engineering Guild"
    assert Workspace.open(data_dir, surveys_dir).community.name == "Platform Engineering Guild"
    assert validations.calls == 2
    assert not any(p.name.startswith(".") for p in data_dir.iterdir())  # no temp file left behind


def test_the_cache_write_is_atomic_and_leaves_no_temp_file(data_dir: Path, surveys_dir: Path) -> None:
    Workspace.open(data_dir, surveys_dir)
    folder = cache_path(data_dir).parent
    assert [p.name for p in folder.iterdir()] == [community_cache.CACHE_FILE]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[*settings().suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=4000))
def test_reading_any_bytes_never_raises(tmp_path: Path, junk: bytes, cut: int) -> None:
    cache = tmp_path / "fuzz" / "community.json"
    cache.parent.mkdir(exist_ok=True)
    community = load_community(default_surveys_dir() / COMMUNITY_FILE)[0]
    assert community is not None
    valid = b'{"format":1,"key":"k","sha256":"x"}\n' + orjson.dumps(community_to_json(community))
    cache.write_bytes(valid[:cut] + junk)
    assert read_cache(cache, "k") is None  # wrong digest, truncated or junk: never trusted


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=8),
        max_leaves=30,
    )
)
def test_any_json_either_rebuilds_or_raises_value_error(data: object) -> None:
    try:
        community = community_from_json(data)
    except ValueError:
        return
    assert isinstance(community, Community)


def test_mutating_a_cached_value_is_impossible(data_dir: Path, surveys_dir: Path) -> None:
    Workspace.open(data_dir, surveys_dir)
    community = Workspace.open(data_dir, surveys_dir).community
    with pytest.raises(dataclasses.FrozenInstanceError):
        community.name = "Other"  # type: ignore[misc]


def test_the_start_path_finds_the_same_files_as_the_definitions() -> None:
    assert COMMUNITY_FILE == DEFINITIONS_COMMUNITY_FILE
    assert shipped_surveys_dir().resolve() == default_surveys_dir().resolve()
