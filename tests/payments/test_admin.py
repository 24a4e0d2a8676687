"""The admin lists payments, receipts and reconciliation issues read-only."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("model", ["payment", "receipt", "reconciliationissue"])
def test_read_only_lists(admin_client, model):
    assert admin_client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:payments_{model}_add")).status_code == 403
