"""One SSH connection: authentication, and the sessions (channels) opened on it.

The member is the owner of the key whose signature was accepted; the user name the client
sends means nothing. No password, no keyboard-interactive, no forwarding of ports or of
the agent (each refusal is logged). A login that opens no session is closed after the
login timeout. What the connection needs of its server is :class:`ConnectionHost`.

A login that fails is logged with the reason it failed (:func:`login_refusal`): no key,
keys of no member, a member's key with a signature that does not verify, a member's key
never signed with, a user name too long, too many keys tried, the login timeout. Before
the login, the server counts the connection among those logging in (in total and from its
address, :class:`~coptui.serve.admission.LoginsInProgress`) until it ends
(:meth:`ConnectionHost.login_ended`).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import asyncssh

from coptui.serve.keys import fingerprint
from coptui.serve.log import client_text
from coptui.serve.patches import refuse_agent_forwarding
from coptui.serve.session import CoptuiSession, SessionHost

# The longest user name accepted (characters). The name chooses nothing (the key does), and
# asyncssh itself refuses 1024 bytes and more; anything this long is a probe.
MAX_USER_NAME = 256
USER_NAME_TOO_LONG = f"user name too long (over {MAX_USER_NAME} characters)"
# The most keys one login may try (OpenSSH's server allows 6 failures): each costs a lookup
# on the loop every session shares, and a client may otherwise offer keys until the login
# timeout. asyncssh asks twice about a key a client queries before signing with it.
MAX_KEYS_OFFERED = 10
TOO_MANY_KEYS = f"too many keys offered (at most {MAX_KEYS_OFFERED})"


def login_refusal(
    exc: Exception | None, offered: bool, member_offered: str | None, forged: str | None, shared: bool = False
) -> str:
    """The reason a connection that never logged in is logged with (docs/serving.md lists them).

    ``offered``: any public key was offered; ``member_offered``: the handle of a member's key
    that was offered; ``forged``: the handle of a member's key whose signature did not verify;
    ``shared``: a key listed for two members was offered (refused for both).
    """
    if isinstance(exc, asyncssh.IllegalUserName):
        return "user-too-long" if "too long" in str(exc).lower() else "bad-user-name"
    if isinstance(exc, asyncssh.DisconnectError) and str(exc) == TOO_MANY_KEYS:
        return "too-many-keys"
    if forged is not None:
        return "bad-signature"  # first: whatever came next, someone signed for a member's key
    if isinstance(exc, asyncssh.DisconnectError) and "timeout" in str(exc).lower():
        return "login-timeout"
    if member_offered is not None:
        return "no-signature"
    if shared:
        return "shared-key"
    return "unknown-key" if offered else "no-key"


class ConnectionHost(SessionHost, Protocol):
    """What a connection needs of the server that accepted it."""

    connections: set[CoptuiConnection]

    def admit_connection(self, address: str) -> str | None:
        """None if a connection from ``address`` may start logging in (then counted in until
        :meth:`login_ended`), else the reason it may not."""
        ...

    def login_ended(self, address: str) -> None: ...

    def member_for_key(self, key: asyncssh.SSHKey) -> str | None: ...

    def members_sharing_key(self, key: asyncssh.SSHKey) -> tuple[str, ...]:
        """The members ``key`` is listed for when it is more than one (then it is nobody's)."""
        ...

    def connection_ended(self) -> None: ...


class CoptuiConnection(asyncssh.SSHServer):
    """One SSH connection: authentication, and the sessions (channels) opened on it."""

    def __init__(self, server: ConnectionHost) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = ""
        self.user: str | None = None
        self.handle: str | None = None
        self.fingerprint: str | None = None
        self._offered: list[str] = []
        self._candidate: tuple[str, str] | None = None
        self._member_offered: str | None = None  # the handle of a member's key offered, if any
        self._forged: str | None = None  # the handle whose key came with a signature that failed
        self._shared: tuple[str, ...] = ()  # the members of a key offered that is listed for several
        self._key_questions = 0  # times asyncssh asked about a key
        self._counted_pending = False
        self._refused = False
        self._sessions = 0
        self._no_session_timer: asyncio.TimerHandle | None = None
        self._closed = asyncio.Event()

    # -- connection ------------------------------------------------------------------------------

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        # asyncssh has no callback for `ssh -A`: a session's agent forwarding request asks
        # the connection for an agent listener, so this answer is where it is refused and logged.
        refuse_agent_forwarding(conn, self._refuse_agent_forwarding)
        peer = conn.get_extra_info("peername") or ("?", 0)
        self.peer = str(peer[0])
        self.server.connections.add(self)
        refusal = self.server.admit_connection(self.peer)
        if refusal is not None:
            self._refused = True
            self.server.log.write("refused", peer=self.peer, reason=refusal)
            conn.abort()
            return
        self._counted_pending = True

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_no_session_timer()
        self._leave_pending()
        self.server.connections.discard(self)
        self.server.connection_ended()
        if self.handle is None and not self._refused:
            self.server.log.write(
                "refused",
                peer=self.peer,
                user=client_text(self.user),
                reason=login_refusal(exc, bool(self._offered), self._member_offered, self._forged, bool(self._shared)),
                # whose key was offered, never let in
                member=self._forged or self._member_offered or (", ".join(self._shared) or None),
                offered=self._offered[:5] or None,
            )
        self._closed.set()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def _leave_pending(self) -> None:
        if self._counted_pending:
            self._counted_pending = False
            self.server.login_ended(self.peer)

    # -- authentication: public keys of members only ----------------------------------------------

    def begin_auth(self, username: str) -> bool:
        self.user = username
        if len(username) > MAX_USER_NAME:
            # Nobody's user name is this long: a probe, refused before any key is looked at.
            # asyncssh answers a DisconnectError raised here with a disconnect message.
            raise asyncssh.IllegalUserName(USER_NAME_TOO_LONG)
        return True  # always authenticate; the user name chooses nothing

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        # Called for a key offered without a signature (a query) and again for one with a
        # signature, which asyncssh checks right after this returns. So the candidate of
        # the last call before auth_completed is the key that signed: identity comes from
        # there, never from an earlier key that was merely offered.
        self._key_questions += 1
        key_fingerprint = fingerprint(key)
        if key_fingerprint not in self._offered:
            self._offered.append(key_fingerprint)
        if len(self._offered) > MAX_KEYS_OFFERED or self._key_questions > 2 * MAX_KEYS_OFFERED:
            # asyncssh answers a DisconnectError raised here with a disconnect message.
            raise asyncssh.DisconnectError(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, TOO_MANY_KEYS)
        handle = self.server.member_for_key(key)
        self._candidate = (handle, key_fingerprint) if handle else None
        if handle is not None:
            self._member_offered = handle
            self._watch_signature(key, handle)
        else:
            self._shared = self.server.members_sharing_key(key) or self._shared
        return handle is not None

    def _watch_signature(self, key: asyncssh.SSHKey, handle: str) -> None:
        """Note a signature made with ``key`` that does not verify: a login with a member's
        public key signed by some other key (forged), or a signature broken on the way.

        asyncssh verifies a signed request with the very key object it handed to
        :meth:`validate_public_key` (``SSHKey.verify``, a public method), and tells this
        object nothing when the check fails. The check is wrapped on that one object, for
        this login only. Should a later asyncssh verify with another object, nothing is
        noted and a forged login is logged ``no-signature``: still refused, less precisely.
        """
        verify = key.verify

        def noted_verify(*args: Any, **kwargs: Any) -> bool:
            valid = bool(verify(*args, **kwargs))
            if not valid:
                self._forged = handle
            return valid

        key.verify = noted_verify  # type: ignore[method-assign]  # this key object only

    def auth_completed(self) -> None:
        assert self._candidate is not None, "asyncssh completed auth without an accepted key"
        self.handle, self.fingerprint = self._candidate
        self._leave_pending()
        self._arm_no_session_timer()

    # -- forwarding: none ------------------------------------------------------------------------

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        self.server.log.write(
            "refused", peer=self.peer, handle=self.handle, fingerprint=self.fingerprint, reason="forwarding"
        )
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "coptui does not forward ports")

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        self.server.log.write(
            "refused", peer=self.peer, handle=self.handle, fingerprint=self.fingerprint, reason="forwarding"
        )
        return False

    async def _refuse_agent_forwarding(self) -> bool:
        self.server.log.write(
            "refused", peer=self.peer, handle=self.handle, fingerprint=self.fingerprint, reason="agent-forwarding"
        )
        return False

    # -- sessions ------------------------------------------------------------------------------

    def session_requested(self) -> CoptuiSession:
        self._sessions += 1
        self._cancel_no_session_timer()
        return CoptuiSession(self)

    def session_closed(self) -> None:
        self._sessions -= 1
        if self._sessions == 0:
            self._arm_no_session_timer()

    def _arm_no_session_timer(self) -> None:
        # `ssh -N` and forgotten multiplexing masters hold a login without a session.
        self._cancel_no_session_timer()
        loop = asyncio.get_running_loop()
        self._no_session_timer = loop.call_later(self.server.options.login_timeout, self._no_session)

    def _cancel_no_session_timer(self) -> None:
        if self._no_session_timer is not None:
            self._no_session_timer.cancel()
            self._no_session_timer = None

    def _no_session(self) -> None:
        self._no_session_timer = None
        if self._sessions == 0 and self.conn is not None:
            self.server.log.write(
                "disconnect", peer=self.peer, handle=self.handle, fingerprint=self.fingerprint, reason="no-session"
            )
            self.conn.close()
