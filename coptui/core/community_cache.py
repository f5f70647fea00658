"""A cache of the validated community, so that a start does not validate ``community.toml`` again.

Validating the file needs pydantic, whose import alone cost about 60 ms of every start, and
parsing the TOML of a large community another 10 ms (docs/benchmarks.md, "Foundation:
start-up"). After a successful validation the community is written, as JSON, to
``DATA/cache/community.json``, under a key: a hash of the file's bytes, coptui's version,
the cache format and the size and modification time of the modules that validate it. A
later start whose key matches builds the community from the cache; any other start
validates as before (a broken file is refused with its problems) and writes the cache anew.

The cache is never trusted blindly: a file that does not parse, whose key differs, whose
body does not match the digest in its header, or whose fields are not of the types and
values a validated community holds, is ignored, and the community file is validated again; so is a
cache file that another user owns or could write (it would give write access to the data
folder a say over members, roles and SSH keys). Writes are atomic
(``store.atomic_write``, the file readable and writable by its owner only); a data folder
that cannot be written just goes without the cache.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coptui import __version__
from coptui.core.community import DIRECTIONS, METRICS, ROLES, STAGES, Community, Member, Objective
from coptui.core.toml_files import TomlFileError, read_file_bytes
from coptui.store.keyed_cache import read_keyed_cache, write_keyed_cache

if TYPE_CHECKING:
    from coptui.core.problems import Problem

# Bump when the layout of the cached community changes.
CACHE_FORMAT = 1
CACHE_DIR = "cache"
CACHE_FILE = "community.json"
# The modules whose code decides what a valid community is: an edit to them (a developer's
# checkout keeps one version number across many edits) makes every cache stale.
_VALIDATING_MODULES = ("community.py", "community_schema.py", "definitions.py", "problems.py", "toml_files.py")


def cache_path(data_dir: Path) -> Path:
    return data_dir / CACHE_DIR / CACHE_FILE


def cache_key(raw: bytes) -> str:
    """The key a cache must carry to stand for a community file holding ``raw``."""
    package = Path(__file__).parent
    stamps = []
    for name in _VALIDATING_MODULES:
        try:
            stat = (package / name).stat()
            stamps.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
        except OSError:
            stamps.append(f"{name}:-")
    head = f"coptui-community-cache/{CACHE_FORMAT}/{__version__}/{','.join(stamps)}\n".encode()
    return hashlib.sha256(head + raw).hexdigest()


def load_community_cached(path: Path, data_dir: Path) -> tuple[Community | None, list[Problem]]:
    """The community of the file at ``path``: from the cache in ``data_dir`` when it is
    valid for the file's bytes, else validated (and then cached). Problems as in
    :func:`coptui.core.community_schema.load_community`."""
    try:
        # Not a plain read: the file may be a FIFO, a device or huge (toml_files.py).
        raw = read_file_bytes(path)
    except TomlFileError:
        # pydantic only when the cache cannot serve: a warm start never imports it.
        from coptui.core.community_schema import load_community

        return load_community(path)  # says why it cannot be read
    key = cache_key(raw)
    cache = cache_path(data_dir)
    community = read_cache(cache, key)
    if community is not None:
        return community, []
    # pydantic only on a cache miss: a warm start never imports it.
    from coptui.core.community_schema import parse_community

    community, problems = parse_community(path, raw)
    if community is not None:
        write_cache(cache, key, community)
    return community, problems


def read_cache(cache: Path, key: str) -> Community | None:
    """The community cached under ``key``, or None when the cache is missing, stale, damaged
    or not certainly ours."""
    body = read_keyed_cache(cache, CACHE_FORMAT, key)
    if body is None:
        return None
    try:
        return community_from_json(body)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def write_cache(cache: Path, key: str, community: Community) -> None:
    """Store ``community`` under ``key``; a folder that cannot be written goes without a cache."""
    write_keyed_cache(cache, CACHE_FORMAT, key, community_to_json(community))


def community_to_json(community: Community) -> dict[str, Any]:
    return {
        "name": community.name,
        "domain": community.domain,
        "stage": community.stage,
        "description": community.description,
        "authorized_keys": community.authorized_keys,
        "members": [[m.handle, m.name, m.role, m.title, m.keys] for m in community.members],
        "objectives": [
            [o.id, o.title, o.metric, o.survey, o.question, o.target, o.direction, o.window, o.baseline]
            for o in community.objectives
        ],
    }


def community_from_json(data: Any) -> Community:
    """Rebuild a cached community, checking every field's type and allowed values: a
    cache that holds anything a validation could not have produced raises ValueError."""
    _expect(isinstance(data, dict) and set(data) == _COMMUNITY_KEYS)
    members = [_member(item) for item in _list(data["members"])]
    objectives = [_objective(item) for item in _list(data["objectives"])]
    _expect(bool(members))
    _expect(len({m.handle for m in members}) == len(members) and len({o.id for o in objectives}) == len(objectives))
    return Community(
        name=_text(data["name"], empty=False),
        domain=_text(data["domain"], empty=False),
        stage=_choice(data["stage"], STAGES),
        description=_text(data["description"]),
        authorized_keys=None if data["authorized_keys"] is None else _text(data["authorized_keys"]),
        members=members,
        objectives=objectives,
    )


_COMMUNITY_KEYS = frozenset({"name", "domain", "stage", "description", "authorized_keys", "members", "objectives"})


def _member(item: Any) -> Member:
    handle, name, role, title, keys = _list(item, 5)
    return Member(
        handle=_text(handle, empty=False),
        name=_text(name, empty=False),
        role=_choice(role, ROLES),
        title=_text(title),
        keys=[_text(key) for key in _list(keys)],
    )


def _objective(item: Any) -> Objective:
    id_, title, metric, survey, question, target, direction, window, baseline = _list(item, 9)
    _expect(type(window) is int and 1 <= window <= 24)
    return Objective(
        id=_text(id_, empty=False),
        title=_text(title, empty=False),
        metric=_choice(metric, METRICS),
        survey=None if survey is None else _text(survey),
        question=None if question is None else _text(question),
        target=_number(target),
        direction=_choice(direction, DIRECTIONS),
        window=window,
        baseline=None if baseline is None else _number(baseline),
    )


def _expect(condition: bool) -> None:
    if not condition:
        raise ValueError("the community cache holds something a validated community cannot")


def _list(value: Any, length: int | None = None) -> list[Any]:
    _expect(isinstance(value, list) and (length is None or len(value) == length))
    return value


def _text(value: Any, *, empty: bool = True) -> str:
    _expect(isinstance(value, str) and (empty or bool(value)))
    return value


def _choice(value: Any, allowed: tuple[str, ...]) -> Any:
    _expect(value in allowed)
    return value


def _number(value: Any) -> float:
    # Validation gives floats; JSON writes them with a decimal point, so they come back floats.
    _expect(type(value) is float)
    return value
