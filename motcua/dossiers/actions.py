"""Which lifecycle actions a staff member may offer on a dossier *now* (the buttons of the back office).

There is one rule, not a copy: an action is offered when the dossier's state is one of the
transition's sources (``states.TRANSITIONS``) and ``services._authorize`` — the check ``act`` itself
runs — accepts the user for the step the action is about. The action's own input checks (reason,
dates, the next step…) still run in ``services.act``; their Vietnamese errors are shown next to the
form.
"""

from __future__ import annotations

from motcua.org.roles import Role

from . import services
from .models import Dossier, Step, StepStatus
from .states import TRANSITIONS, Transition

STAFF_ROLES = frozenset(r.value for r in Role)


def _steps(dossier: Dossier) -> list[Step]:
    """The dossier's steps (the prefetched ones when the caller loaded them)."""
    return list(dossier.steps.all())


def consultation_steps(dossier: Dossier) -> list[Step]:
    """Open consultations (parallel steps still active), in the order ``act`` picks them."""
    steps = [s for s in _steps(dossier) if s.parallel and s.status == StepStatus.ACTIVE]
    return sorted(steps, key=lambda s: (s.order, s.pk))


def subject_steps(dossier: Dossier, action: str) -> list[Step | None]:
    """The step(s) ``action`` would be about: the current step, or an open consultation for
    ``answer_consultation`` (any of them: the form lets the officer pick one)."""
    if action == "answer_consultation":
        return list(consultation_steps(dossier))
    if dossier.current_step_id is None:
        return [None]
    current = next((s for s in _steps(dossier) if s.pk == dossier.current_step_id), None)
    return [current if current is not None else dossier.current_step]


def allowed_actions(dossier: Dossier, user) -> list[Transition]:
    """The transitions ``user`` may do on ``dossier`` now, in the table's order.

    Only staff actions are offered (applicant- or system-only ones such as ``start_linked`` never
    appear in the back office). ``_authorize`` depends on the transition only through its actors,
    and whether it is bound to the step's role (``STEP_ROLE_BOUND``), so its answer is memoized per
    (actors, bound, step): a handful of membership reads per page."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    memo: dict[tuple, bool] = {}
    offered = []
    for transition in TRANSITIONS.values():
        if dossier.state not in transition.sources or not (transition.actors & STAFF_ROLES):
            continue
        for step in subject_steps(dossier, transition.action):
            bound = transition.action in services.STEP_ROLE_BOUND
            key = (transition.actors, bound, step.pk if step is not None else None)
            if key not in memo:
                try:
                    services._authorize(user, None, dossier, transition, step)
                except services.NotAllowed:
                    memo[key] = False
                else:
                    memo[key] = True
            if memo[key]:
                offered.append(transition)
                break
    if any(t.action == "acknowledge" for t in offered):
        # Data, not authorization: a step is acknowledged once (``act`` would refuse a second time).
        current = subject_steps(dossier, "acknowledge")[0]
        if current is None or current.acknowledged_at is not None:
            offered = [t for t in offered if t.action != "acknowledge"]
    return offered


def allowed_for_all(dossiers: list[Dossier], user) -> list[Transition]:
    """The transitions allowed on every one of ``dossiers`` (bulk actions), in the table's order."""
    if not dossiers:
        return []
    common: set[str] | None = None
    for d in dossiers:
        names = {t.action for t in allowed_actions(d, user)}
        common = names if common is None else common & names
        if not common:
            return []
    return [t for t in TRANSITIONS.values() if t.action in (common or set())]
