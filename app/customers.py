"""Customers in the store: phone matching and the CSV import behind `customers import`."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import Iterable, TextIO

from sqlmodel import Session, delete, select

from app.models import Customer, CustomerPhone, utcnow

COLUMNS = ["adm", "name", "cnpj", "phones", "contract_active", "support_active", "financial_pending"]
TRUE = {"true", "sim", "1", "s", "yes"}
FALSE = {"false", "não", "nao", "0", "n", "no"}


def phone_variants(digits: str) -> list[str]:
    """The forms one Brazilian mobile number takes: WhatsApp ids sometimes drop the 9th digit."""
    variants = [digits]
    if digits.startswith("55") and len(digits) == 13 and digits[4] == "9":
        variants.append(digits[:4] + digits[5:])
    elif digits.startswith("55") and len(digits) == 12 and digits[4] in "6789":
        variants.append(digits[:4] + "9" + digits[4:])
    return variants


def find_by_phone(session: Session, digits: str) -> Customer | None:
    """The customer owning this phone number, if any."""
    row = session.exec(select(CustomerPhone).where(CustomerPhone.phone.in_(phone_variants(digits)))).first()
    return session.get(Customer, row.adm) if row else None


@dataclass
class ImportReport:
    """What `customers import` did: counts and one line per rejected row."""

    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def import_csv(session: Session, stream: TextIO) -> ImportReport:
    """Upsert customers from CSV; bad rows are reported by line number, good rows still land."""
    report = ImportReport()
    reader = csv.DictReader(stream)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append(f"line 1: missing columns: {', '.join(missing)}")
        return report
    for row in reader:
        line = reader.line_num
        try:
            values = _parse_row(row)
        except ValueError as exc:
            report.errors.append(f"line {line}: {exc}")
            continue
        conflict = _phone_owned_elsewhere(session, values["adm"], values["phones"])
        if conflict:
            report.errors.append(f"line {line}: phone {conflict[0]} already belongs to ADM {conflict[1]}")
            continue
        created = _upsert(session, values)
        report.created += created
        report.updated += not created
        session.flush()
    return report


def _parse_row(row: dict) -> dict:
    adm = (row.get("adm") or "").strip()
    name = (row.get("name") or "").strip()
    if not adm:
        raise ValueError("adm is empty")
    if not name:
        raise ValueError("name is empty")
    phones = []
    for raw in (row.get("phones") or "").split(";"):
        if not raw.strip():
            continue
        digits = re.sub(r"\D", "", raw)
        if not 10 <= len(digits) <= 15:
            raise ValueError(f"phones: {raw.strip()!r} is not a phone number with country code")
        phones.append(digits)
    return dict(adm=adm, name=name, cnpj=re.sub(r"\D", "", row.get("cnpj") or "") or None, phones=phones,
                **{flag: _boolean(flag, row.get(flag)) for flag in COLUMNS[4:]})


def _boolean(column: str, raw: str | None) -> bool:
    value = (raw or "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"{column}: {raw!r} is not a boolean (true/false, sim/não, 1/0)")


def _phone_owned_elsewhere(session: Session, adm: str, phones: list[str]) -> tuple[str, str] | None:
    if not phones:
        return None
    row = session.exec(select(CustomerPhone).where(CustomerPhone.phone.in_(phones),
                                                   CustomerPhone.adm != adm)).first()
    return (row.phone, row.adm) if row else None


def _upsert(session: Session, values: dict) -> bool:
    phones = values.pop("phones")
    customer = session.get(Customer, values["adm"])
    created = customer is None
    if created:
        customer = Customer(**values)
        session.add(customer)
    else:
        for key, value in values.items():
            setattr(customer, key, value)
        customer.updated_at = utcnow()
    session.flush()
    session.exec(delete(CustomerPhone).where(CustomerPhone.adm == customer.adm))
    for phone in dict.fromkeys(phones):
        session.add(CustomerPhone(phone=phone, adm=customer.adm))
    return created


def all_rows(session: Session) -> Iterable[Customer]:
    """Every customer, by ADM code."""
    return session.exec(select(Customer).order_by(Customer.adm)).all()
