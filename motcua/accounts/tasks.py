from django_tasks import task

from . import services


@task()
def disable_idle_accounts_task() -> int:
    """The daily job (``common.scheduler``): disable staff accounts idle for ``ACCOUNT_IDLE_DAYS`` days."""
    return services.disable_idle_accounts()
