"""Fixtures of the personal-data protection tests: the demo province, logged-in officer clients,
and the e-data-store citizen (Nguyễn Văn An, VNeID login) of the wallet tests."""

import pytest
from django.test import Client

from tests.wallet.conftest import AN, PDF, citizen, held, issue  # noqa: F401 (fixtures re-exported)


@pytest.fixture
def login(users):
    """``login("vanphong")`` → a Django test client with that demo officer's session."""

    def make(username: str) -> Client:
        c = Client()
        c.force_login(users[username])
        return c

    return make
