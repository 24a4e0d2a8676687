"""Linked bundles (thủ tục liên thông, Project 06 / Decree 63/2024) as data.

Each bundle is an ordered chain of procedure codes; a ``choice`` position lets the applicant pick
one procedure among several (death → residence deregistration → funeral allowance *or* survivor
benefits). A bundle's dossiers start counting the next working morning when received after
``CUTOFF`` (SPEC §4); the same procedures received on their own count from receipt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CUTOFF = dt.time(15, 0)


@dataclass(frozen=True)
class BundleKind:
    code: str
    name: str
    chain: tuple[tuple[str, ...], ...]  # one tuple per position: its allowed procedure codes


BUNDLES: dict[str, BundleKind] = {
    b.code: b
    for b in [
        BundleKind(
            "khai_sinh",
            "Liên thông đăng ký khai sinh – đăng ký thường trú – cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
            (("1.001193",), ("1.004222",), ("1.010057",)),
        ),
        BundleKind(
            "khai_tu",
            "Liên thông đăng ký khai tử – xóa đăng ký thường trú – trợ cấp mai táng, tử tuất",
            (("1.000656",), ("1.004227",), ("1.010058", "1.010059")),
        ),
    ]
}


def chain_for(kind: str, choices: list[str] | None = None) -> list[str]:
    """The procedure codes of a bundle, resolving choice positions with ``choices``.

    Raises ValueError with a Vietnamese message for an unknown bundle or a missing/wrong choice.
    """
    bundle = BUNDLES.get(kind)
    if bundle is None:
        raise ValueError(f"Không có loại liên thông '{kind}'.")
    picked = set(choices or [])
    codes = []
    for position in bundle.chain:
        if len(position) == 1:
            codes.append(position[0])
            continue
        chosen = [c for c in position if c in picked]
        if len(chosen) != 1:
            raise ValueError("Vui lòng chọn đúng một thủ tục trong số: " + ", ".join(position) + ".")
        codes.append(chosen[0])
    return codes
