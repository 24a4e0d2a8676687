"""Fees and charges due for a procedure version, with exemptions applied (pure functions).

The catalog holds each fee (phí) or charge (lệ phí) with its exemption rules as data
(``Fee.exemptions``: ``[{"condition", "percent", "description"}]``, conditions from
``catalog.models.ExemptionCondition``). ``compute`` matches them against what is known about the
applicant (``applicant_facts``) and returns a ``FeeQuote``: one line per fee with the amount due
and the reason for a reduction, and the total.

Facts understood (all optional; unknown keys are ignored):

=====================  =====================================================================
``online``             True (or ``channel == "online"``): the dossier is submitted online
``poor_household``     True: poor or near-poor household (hộ nghèo, cận nghèo)
``ethnic_minority``    True: ethnic minority living in a disadvantaged area
``disabled``           True: person with a disability
``social_policy``      True: social-policy beneficiary (đối tượng chính sách xã hội)
``in_time``            True: registration within the legal time (e.g. birth within 60 days)
``age``                age in whole years; or ``birth_date`` (date or ISO string) with the
                       reference ``on`` date (default: today) — gives ``child_under_6`` (< 6)
                       and ``elderly`` (≥ 60, Law on the Elderly 2009 art. 2)
``child_under_6``,     True: given directly instead of the age
``elderly``
=====================  =====================================================================

When several exemptions of one fee apply, the most favourable one counts (reductions are not
added up). Amounts are whole đồng, a reduced amount rounded half up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from motcua.catalog.models import ExemptionCondition, FeeKind

ELDERLY_AGE = 60
CHILD_AGE_LIMIT = 6


@dataclass(frozen=True)
class FeeLine:
    fee_id: int | None
    kind: str
    name: str
    base_amount: int
    percent: int  # exemption applied, 0–100
    condition: str  # the ExemptionCondition that applied, "" if none
    reason: str  # why it was reduced (Vietnamese), "" if not
    amount: int  # due

    @property
    def kind_label(self) -> str:
        return FeeKind(self.kind).label if self.kind in FeeKind.values else self.kind

    @property
    def exempt(self) -> bool:
        return self.percent == 100


@dataclass(frozen=True)
class FeeQuote:
    lines: tuple[FeeLine, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def base_total(self) -> int:
        return sum(line.base_amount for line in self.lines)

    @property
    def reduction(self) -> int:
        return self.base_total - self.total

    @property
    def has_fees(self) -> bool:
        return self.base_total > 0

    @property
    def fully_exempt(self) -> bool:
        """Fees exist but nothing is due (the dossier's fee status would be "exempt")."""
        return self.has_fees and self.total == 0

    def as_dict(self) -> dict:
        return {
            "lines": [
                {
                    "fee_id": x.fee_id,
                    "kind": x.kind,
                    "name": x.name,
                    "base_amount": x.base_amount,
                    "percent": x.percent,
                    "condition": x.condition,
                    "reason": x.reason,
                    "amount": x.amount,
                }
                for x in self.lines
            ],
            "base_total": self.base_total,
            "total": self.total,
        }


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def age_on(birth: dt.date, on: dt.date) -> int:
    """Age in whole years on ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def conditions_met(facts: Mapping) -> frozenset[str]:
    """The exemption conditions that ``facts`` satisfy."""
    met = {c for c in ExemptionCondition.values if facts.get(c) is True}
    if facts.get("channel") == "online":
        met.add(ExemptionCondition.ONLINE)
    age = facts.get("age")
    if not isinstance(age, int) or isinstance(age, bool):
        birth = _as_date(facts.get("birth_date"))
        on = _as_date(facts.get("on")) or dt.date.today()
        age = age_on(birth, on) if birth else None
    if age is not None and age >= 0:
        if age < CHILD_AGE_LIMIT:
            met.add(ExemptionCondition.CHILD_UNDER_6)
        if age >= ELDERLY_AGE:
            met.add(ExemptionCondition.ELDERLY)
    return frozenset(met)


def reduced(amount: int, percent: int) -> int:
    """``amount`` less ``percent`` %, whole đồng rounded half up."""
    return (amount * (100 - percent) + 50) // 100


def quote_line(fee_id, kind: str, name: str, amount: int, exemptions: Iterable[Mapping], met) -> FeeLine:
    best: Mapping | None = None
    for rule in exemptions or ():
        if rule.get("condition") in met and (best is None or rule["percent"] > best["percent"]):
            best = rule
    if best is None:
        return FeeLine(fee_id, kind, name, amount, 0, "", "", amount)
    condition = best["condition"]
    label = ExemptionCondition(condition).label
    description = str(best.get("description") or "").strip()
    what = "Miễn" if best["percent"] == 100 else f"Giảm {best['percent']}%"
    reason = f"{what}: {description or label}"
    return FeeLine(fee_id, kind, name, amount, best["percent"], condition, reason, reduced(amount, best["percent"]))


def compute(version, applicant_facts: Mapping | None = None) -> FeeQuote:
    """The fees and charges of ``version`` (a ``catalog.ProcedureVersion``) for an applicant."""
    met = conditions_met(applicant_facts or {})
    return FeeQuote(
        tuple(quote_line(f.pk, f.kind, f.name, int(f.amount), f.exemptions, met) for f in version.fees.all())
    )


# Conditions the applicant declares (the desk checks the proof); the others are derived from facts.
DECLARED = (
    ExemptionCondition.POOR_HOUSEHOLD,
    ExemptionCondition.ETHNIC_MINORITY,
    ExemptionCondition.DISABLED,
    ExemptionCondition.SOCIAL_POLICY,
    ExemptionCondition.IN_TIME,
)


def facts_for(schema: Mapping, form_data: Mapping, *, channel: str, on: dt.date, claims: Iterable[str] = ()) -> dict:
    """What a dossier tells the exemption rules (the one place this is decided):

    * ``channel`` (online submissions) and ``on`` (the submission day, for ages and time limits);
    * ``claims``: conditions declared at the counter or through the API (``DECLARED``);
    * the e-form, through ``x-fee-fact`` on its properties: ``"birth_date"`` (whose age the fees
      concern), ``"in_time:<days>"`` (a date; in time when submitted at most <days> days after it,
      e.g. a birth registered within 60 days), or a ``DECLARED`` condition on a boolean the applicant ticks.
    """
    facts: dict = {"channel": channel, "on": on}
    facts.update({c: True for c in claims if c in DECLARED})
    for name, prop in (schema.get("properties") or {}).items():
        fact, value = str(prop.get("x-fee-fact") or ""), form_data.get(name)
        if not fact or value in (None, "", False):
            continue
        if fact == "birth_date" and _as_date(value):
            facts["birth_date"] = _as_date(value)
        elif fact.startswith("in_time:") and fact[8:].isdigit() and (day := _as_date(value)):
            if 0 <= (on - day).days <= int(fact[8:]):
                facts[ExemptionCondition.IN_TIME.value] = True
        elif fact in DECLARED and value is True:
            facts[fact] = True
    return facts


def format_vnd(amount: int) -> str:
    """``50000`` → ``50.000 đồng`` (Vietnamese thousands separator)."""
    return f"{int(amount):,} đồng".replace(",", ".")
