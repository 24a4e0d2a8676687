"""For other tests: an officer's test client that has already stated a purpose of access."""

from motcua.privacy import purpose


def state_purpose(client, scope: str = "ho-so", text: str = "Thanh tra, kiểm tra việc giải quyết TTHC") -> None:
    """Record ``text`` as ``client``'s purpose for ``scope`` (as the form at /can-bo/bao-ve-du-lieu/muc-dich/ does)."""
    session = client.session
    purpose.remember(session, scope, text)
    session.save()
