"""The provider CSV: one row -> the values of a Provider, or the reasons it is refused.

Pure functions, no database. Lists are separated by ";" (or "|"); choices are given by value
or label, case-insensitive ("MD", "iv-infusion", "IV ketamine infusion"); states by code or
name; yes/no columns take yes, no, true, false, 1, 0 or nothing (the default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from .choices import (
    Condition,
    Credential,
    FlagChoices,
    Insurance,
    Language,
    State,
    Treatment,
)
from .geo import state_from_text, zip_place
from .validators import npi_problem

COLUMNS = (
    "npi",
    "name",
    "credentials",
    "license_states",
    "license_number",
    "practice_name",
    "address",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
    "phone",
    "website",
    "treatments",
    "conditions",
    "insurance",
    "price_min_usd",
    "price_max_usd",
    "telehealth",
    "telehealth_states",
    "languages",
    "accepting_new_patients",
    "member",
    "bio",
)
REQUIRED = ("npi", "name", "credentials", "address", "city", "state", "zip", "treatments")
LENGTHS = {
    "name": 200,
    "license_number": 40,
    "practice_name": 200,
    "address": 200,
    "city": 100,
    "website": 300,
    "bio": 5000,
}
FLAG_COLUMNS: dict[str, type[FlagChoices]] = {
    "credentials": Credential,
    "license_states": State,
    "treatments": Treatment,
    "conditions": Condition,
    "insurance": Insurance,
    "telehealth_states": State,
    "languages": Language,
}
BOOLEAN_COLUMNS = {"telehealth": False, "accepting_new_patients": True, "member": False}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
_LIST_SEPARATOR = re.compile(r"[;|]")
_URL = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"column {self.column}" if self.column else "the row"
        return f"row {self.row}, {where}: {self.reason}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


def header_problem(header: list[str]) -> str | None:
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        return f"the header lacks the required column(s): {', '.join(missing)}"
    return None


def normalise_header(header: list[str]) -> list[str]:
    return [re.sub(r"[\s-]+", "_", name.strip().lower().lstrip("\ufeff")) for name in header]


def _lookup(flags: type[FlagChoices], text: str) -> str | None:
    wanted = text.strip().lower()
    if flags is State:
        return state_from_text(text)
    for value, label in flags.choices:
        if wanted in (value.lower(), label.lower()):
            return value
    return None


def parse_row(cells: dict[str, str], *, row: int) -> tuple[dict, list[RowError]]:
    """(values for a Provider, []) or (partial values, the row's errors)."""
    values: dict = {}
    errors: list[RowError] = []

    def error(column: str, reason: str) -> None:
        errors.append(RowError(row, column, reason))

    cell = {key: (value or "").strip() for key, value in cells.items() if key in COLUMNS}
    for column in REQUIRED:
        if not cell.get(column):
            error(column, "is required and empty")
    for column, limit in LENGTHS.items():
        if len(cell.get(column, "")) > limit:
            error(column, f"is {len(cell[column])} characters long; the limit is {limit}")
        else:
            values[column] = cell.get(column, "")

    npi = cell.get("npi", "")
    if npi and (problem := npi_problem(npi)):
        error("npi", f"{npi} is not a valid NPI: {problem}")
    values["npi"] = npi

    for column, flags in FLAG_COLUMNS.items():
        items = [item for item in _LIST_SEPARATOR.split(cell.get(column, "")) if item.strip()]
        found = [_lookup(flags, item) for item in items]
        unknown = [item.strip() for item, value in zip(items, found, strict=True) if not value]
        if unknown:
            known = ", ".join(flags.values) if flags is not State else "state codes or names"
            error(column, f"unknown value(s) {', '.join(unknown)}; use {known}")
        values[column] = flags.mask(value for value in found if value)

    for column, default in BOOLEAN_COLUMNS.items():
        text = cell.get(column, "").lower()
        if text and text not in YES | NO:
            error(column, f"“{cell[column]}” is not yes or no")
        values[column] = default if not text else text in YES

    state = state_from_text(cell.get("state", "")) if cell.get("state") else None
    if cell.get("state") and state is None:
        error("state", f"“{cell['state']}” is not a US state")
    values["state"] = state or ""

    _parse_place(cell, values, error, state)
    _parse_contact(cell, values, error)
    _parse_prices(cell, values, error)

    if values["telehealth"] and not values["telehealth_states"]:
        values["telehealth_states"] = values["license_states"] or (State.bit(state) if state else 0)
    if not values["telehealth"] and values["telehealth_states"]:
        error("telehealth_states", "is given, but telehealth is not yes")
    values["is_member"] = values.pop("member")
    return values, errors


def _parse_place(cell: dict, values: dict, error, state: str | None) -> None:
    zip_text = cell.get("zip", "")
    zip_code = zip_text[:5]
    if zip_text and not re.fullmatch(r"\d{5}(-\d{4})?", zip_text):
        error("zip", f"“{zip_text}” is not a 5-digit ZIP code")
        zip_code = ""
    values["zip_code"] = zip_code
    lat_text, lon_text = cell.get("latitude", ""), cell.get("longitude", "")
    if bool(lat_text) != bool(lon_text):
        error("latitude" if not lat_text else "longitude", "give both latitude and longitude")
    latitude = longitude = None
    if lat_text and lon_text:
        try:
            latitude, longitude = float(lat_text), float(lon_text)
        except ValueError:
            error("latitude", "latitude and longitude must be decimal degrees")
        else:
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                error("latitude", "coordinates out of range (-90..90, -180..180)")
    place = zip_place(zip_code) if zip_code else None
    if zip_code and place is None and latitude is None:
        error("zip", f"ZIP code {zip_code} is unknown; give latitude and longitude")
    if place is not None and state and place.state != state:
        error("zip", f"ZIP code {zip_code} is in {place.state}, not {state}")
    values["latitude"] = latitude
    values["longitude"] = longitude


def _parse_contact(cell: dict, values: dict, error) -> None:
    phone = cell.get("phone", "")
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if phone and len(digits) != 10:
        error("phone", f"“{phone}” is not a 10-digit US phone number")
        values["phone"] = ""
    else:
        values["phone"] = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if digits else ""
    website = values.get("website", "")
    if website:
        try:
            _URL(website)
        except ValidationError:
            error("website", f"“{website}” is not a web address starting with https://")


def _parse_prices(cell: dict, values: dict, error) -> None:
    for column in ("price_min_usd", "price_max_usd"):
        text = cell.get(column, "").replace("$", "").replace(",", "").strip()
        values[column] = None
        if text:
            if text.isascii() and text.isdigit() and len(text) <= 7:
                values[column] = int(text)
            else:
                error(column, f"“{cell[column]}” is not a whole number of dollars")
    low, high = values["price_min_usd"], values["price_max_usd"]
    if low is not None and high is not None and low > high:
        error("price_max_usd", f"{high} is less than price_min_usd {low}")
