"""Background verification of applicants (online submissions, and retries while a national
system is down). Retries back off up to ``RETRY_DELAYS``; the dossier shows "not verified" meanwhile."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from .verification import verify

RETRY_DELAYS = [60, 300, 900, 3600, 4 * 3600, 24 * 3600]  # seconds after attempt 1, 2, …


def verify_applicant(dossier_id: int, *, fresh: bool = False):
    """Check a dossier's applicant now and record the outcome on the dossier (with its event)."""
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.services import record_identity_check

    d = Dossier.objects.filter(pk=dossier_id).only("applicant_id_number", "applicant_name", "applicant_type").first()
    if d is None:
        return None
    kind = "organization" if d.applicant_type == "organization" else "citizen"
    check = verify(d.applicant_id_number, d.applicant_name, kind=kind, fresh=fresh)
    record_identity_check(dossier_id, check.status, check.detail())
    return check


@task()
def verify_applicant_task(dossier_id: int, attempt: int = 1) -> str | None:
    check = verify_applicant(dossier_id)
    if check is not None and check.status == "not_verified" and attempt <= len(RETRY_DELAYS):
        run_after = timezone.now() + dt.timedelta(seconds=RETRY_DELAYS[attempt - 1])
        verify_applicant_task.using(run_after=run_after).enqueue(dossier_id, attempt + 1)
    return check.status if check else None
