from tests.wallet.conftest import citizen, held  # noqa: F401 (fixtures shared with the e-data store tests)
