"""Staff page: the national-portal sync per agency (the synced share) and the dead letters."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import MessageStatus, OutboxMessage
from .outbox import synced_share_by_agency


@login_required
def sync_status(request):
    """Province-wide for whoever may read the outbox (province office, administrators); otherwise the
    user's own agencies."""
    rows = synced_share_by_agency()
    everything = request.user.is_superuser or request.user.has_perm("integration.view_outboxmessage")
    if not everything:
        mine = set(request.user.memberships.filter(active=True).values_list("agency__code", flat=True))
        rows = [r for r in rows if r["agency"] in mine]
    dossiers = sum(r["dossiers"] for r in rows)
    synced = sum(r["synced"] for r in rows)
    context = {
        "rows": rows,
        "total": {
            "dossiers": dossiers,
            "synced": synced,
            "share": round(100 * synced / dossiers, 1) if dossiers else None,
        },
        "dead": OutboxMessage.objects.filter(status=MessageStatus.DEAD).count() if everything else None,
    }
    return render(request, "integration/sync_status.html", context)
