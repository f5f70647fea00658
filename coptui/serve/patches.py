"""Every place where `coptui serve` changes what Textual or asyncssh do through names they
keep private, behind one check of the versions they were written against.

- :func:`share_css_parsing` (process-wide): Textual's ``Stylesheet._parse_rules`` is
  wrapped so that every app in the process shares the parsed rules of one piece of CSS.
- :func:`set_no_color` (one app): Textual builds an app's line filters from the server's
  ``os.environ`` (``App._filters``); a session's must follow its client's NO_COLOR.
- :func:`refuse_agent_forwarding` (one connection): asyncssh has no callback for
  ``ssh -A``; its connection's ``create_agent_listener`` is where the request is answered,
  so that is where it is refused and logged.
- :func:`app_error` reads the exception a Textual app ended with (``App._exception``).

What happens on a version that was not checked (:data:`CHECKED`): nothing is patched, a
warning says so once, and the server goes on serving on Textual's and asyncssh's own
path, which is safe, only slower or less precise: every app parses its own CSS (more CPU
when members join), the server's own NO_COLOR reaches every client (a client's NO_COLOR
still holds: the driver leaves the colour codes out of its output), and agent forwarding is still refused by asyncssh (``agent_forwarding=False``)
but not logged. Refusing to serve would take a community's retro away over an upgrade
that may well be harmless; a wrong patch could break every session, so none is tried.
Reading ``App._exception`` needs no patch: where it has gone, a crash is logged as an
ordinary end with exit status 1.

tests/unit/test_ssh_patches.py fails if a private name used here moves or changes kind.
"""

from __future__ import annotations

import functools
import sys
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from textual.filter import Monochrome, NoColor

if TYPE_CHECKING:
    import asyncssh
    from textual.app import App

# The exact versions whose private names were read for the patches here (the versions
# the project pins and tests with).
CHECKED = {"textual": "8.2.8", "rich": "15.0.0", "asyncssh": "2.24.1"}

# Parsed CSS shared by every app in the process; bounded, since a theme change gives new
# variables and so new entries.
MAX_SHARED_CSS = 512

_warned = False
# The wrappers this module made, so that a second call wraps nothing again.
_our_wrappers: set[object] = set()


@functools.cache
def unchecked_versions() -> dict[str, str]:
    """The installed version of each library whose version is not the one checked."""
    return {name: version(name) for name, checked in CHECKED.items() if version(name) != checked}


def patching_allowed() -> bool:
    """True when every library is at the version the patches were checked against."""
    return not unchecked_versions()


def apply(warn: Callable[[str], None] | None = None) -> bool:
    """Apply the process-wide patches once; call before the first app starts.

    On a version that was not checked nothing is patched and ``warn`` (stderr by default)
    hears why, once per process. True if the patches are in place."""
    global _warned
    unchecked = unchecked_versions()
    if unchecked:
        if not _warned:
            _warned = True
            found = ", ".join(f"{name} {found} (checked: {CHECKED[name]})" for name, found in unchecked.items())
            (warn or _stderr)(
                f"coptui serve: warning: {found}: serving without coptui's patches of Textual and asyncssh "
                "(slower joins; the server's NO_COLOR reaches every member)"
            )
        return False
    share_css_parsing()
    return True


def _stderr(message: str) -> None:
    print(message, file=sys.__stderr__, flush=True)


def share_css_parsing() -> None:
    """Parse each piece of CSS once per process instead of once per app.

    Every Textual app parses the CSS of every widget class and screen it shows, in its
    own :class:`~textual.css.stylesheet.Stylesheet` and, when a screen brings new CSS,
    all of it again (``reparse`` starts from an empty stylesheet). `coptui serve` runs an
    app per SSH session on one event loop: measured with 15 sessions, parsing was a tenth
    of the server's CPU for joining. The parsed rules depend only on the arguments of the
    parse (the CSS text, where it came from, its scope) and the theme's variables, which
    make the key here; Textual already hands the same parsed rules to later parses within
    one stylesheet, and only reads them, so apps can share them too. A second call does
    not wrap the parser again.
    """
    from textual.css.stylesheet import Stylesheet

    parse_rules = Stylesheet._parse_rules
    if parse_rules in _our_wrappers:
        return
    shared: OrderedDict[Hashable, Any] = OrderedDict()

    # The arguments are passed on as they came: the wrapper copies no private signature.
    @functools.wraps(parse_rules)
    def shared_parse_rules(self: Stylesheet, *args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted(kwargs.items())), tuple(sorted(self._variables.items())))
        try:
            rules = shared.get(key)
        except TypeError:  # an argument that cannot be a key: parse as Textual would
            return parse_rules(self, *args, **kwargs)
        if rules is None:
            rules = parse_rules(self, *args, **kwargs)
            shared[key] = rules
            if len(shared) > MAX_SHARED_CSS:
                shared.popitem(last=False)
        return rules

    _our_wrappers.add(shared_parse_rules)
    Stylesheet._parse_rules = shared_parse_rules  # type: ignore[method-assign]  # the patch itself


def set_no_color(app: App[Any], no_color: bool) -> None:
    """Give ``app`` the NO_COLOR filter of its client, whatever the server's environment said."""
    app.no_color = no_color
    if not patching_allowed():
        return
    app._filters = [f for f in app._filters if not isinstance(f, (Monochrome, NoColor))]
    if no_color:
        # Not Textual's Monochrome (its choice for a truecolor app): that draws colours as greys.
        app._filters.append(NoColor())


def refuse_agent_forwarding(
    conn: asyncssh.SSHServerConnection, refuse: Callable[[], Coroutine[Any, Any, bool]]
) -> None:
    """Answer this connection's agent forwarding requests (``ssh -A``) with ``refuse``."""
    if patching_allowed():
        conn.create_agent_listener = refuse  # type: ignore[method-assign]  # the patch itself


def app_error(app: App[Any]) -> BaseException | None:
    """The exception ``app`` ended with, if any (Textual keeps it in ``App._exception``)."""
    error = getattr(app, "_exception", None)
    return error if isinstance(error, BaseException) else None
