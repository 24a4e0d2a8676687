"""Seam for verifying an applicant against the National Population DB / business registry.

The identity issue replaces ``verify`` with the adapter call (timeouts, retries, cache). Until
then every applicant is "not verified" and intake goes on, as it must when the national system
is down."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verification:
    status: str  # "verified" | "mismatch" | "not_verified"
    message: str


def verify(id_number: str, name: str) -> Verification:
    return Verification("not_verified", "Chưa đối chiếu với Cơ sở dữ liệu quốc gia về dân cư.")
