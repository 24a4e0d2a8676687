"""Periodic audit jobs (enqueued by ``common.scheduler``)."""

from __future__ import annotations

from django_tasks import task

from . import chain, retention


@task()
def seal_task() -> int:
    """Seal the rows written since the last run (every minute)."""
    return chain.seal()


@task()
def retention_task() -> dict:
    """Purge what is past its retention (daily): audit log, API calls, delivered outbox messages."""
    return retention.purge_all()
