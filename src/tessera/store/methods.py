"""How a person authenticated, as the `amr` columns of sessions and grants hold it:
RFC 8176 values, space-separated; NULL for a password alone, which is what every row
written before those columns existed means."""

from __future__ import annotations

from tessera.core.models import AMR, PASSWORD_ONLY


def amr_column(amr: tuple[AMR, ...]) -> str | None:
    return None if amr == PASSWORD_ONLY else " ".join(amr)


def parse_amr(value: str | None) -> tuple[AMR, ...]:
    return PASSWORD_ONLY if value is None else tuple(AMR(method) for method in value.split())
