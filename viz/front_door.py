"""The person page's front-door answer, built from its GraphQL answer: who the child is,
where and with whom they live, and whom to call. Everything here rearranges what the
policy already released; nothing is looked up.

Dates are written as UK practice writes them, and ages beside them:

>>> uk_date("2019-03-04"), age("2019-03-04", date(2026, 12, 7))
('4 March 2019', '7 years')
>>> age("2025-06-30", date(2026, 12, 7)), age("2026-11-30", date(2026, 12, 7))
('17 months', '0 months')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

LEAD_LEVELS = ("STATUTORY", "TARGETED")
# What `searchPeople`'s `matched` fields are called in words.
MATCHED_WORDS = {
    "record_id": "record id", "nhs_number": "NHS number", "upn": "pupil number (UPN)",
    "birth_date": "birth date", "birth_date_swapped": "birth date (day and month swapped)",
    "birth_year": "birth year", "postcode": "postcode",
}
RISK_WORDS = {
    "MENTAL_HEALTH": "mental health", "SUBSTANCE_MISUSE": "substance misuse",
    "DOMESTIC_ABUSE": "domestic abuse", "OFFENDING": "offending", "FINANCES": "finances",
    "HOUSING": "housing", "ATTENDANCE": "school attendance", "DEVELOPMENT": "development",
}
# Universal services folded into one line each, by the name the line gives them.
UNIVERSAL_KINDS = {"GP registration": "GP", "School": "School"}


def _day(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def uk_date(value: date | str | None, missing: str = "not recorded") -> str:
    """'4 March 2019' from a date or an ISO date; `missing` when there is none."""
    day = _day(value)
    return f"{day.day} {day:%B %Y}" if day else missing


def age(born: date | str | None, on: date | None = None) -> str:
    """'7 years', or months under two ('17 months'); '' when the birth date is unknown."""
    start, today = _day(born), on or date.today()
    if start is None or start > today:
        return ""
    months = (today.year - start.year) * 12 + today.month - start.month - (
        today.day < start.day)
    if months < 24:
        return f"{months} month{'' if months == 1 else 's'}"
    years = months // 12
    return f"{years} year{'' if years == 1 else 's'}"


def born_words(born: date | str | None, on: date | None = None) -> str:
    """'4 March 2019 (7 years)' or 'not recorded'."""
    years = age(born, on)
    return f"{uk_date(born)} ({years})" if years else uk_date(born)


def matched_words(matched: list[str], name_searched: bool) -> str:
    """Why a search result matched, in words: 'name, postcode, birth date'."""
    words = (["name"] if name_searched else []) + [
        MATCHED_WORDS.get(m, m.replace("_", " ")) for m in matched]
    return ", ".join(dict.fromkeys(words)) or "—"


def risk_words(kind: str) -> str:
    return RISK_WORDS.get(kind, kind.lower().replace("_", " "))


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


@dataclass
class Contact:
    """One lead practitioner and the open services they lead for the family."""

    name: str
    role: str
    team: str
    phone: str
    email: str
    # (service, person's name or None for the child, relationship to the child)
    services: list[tuple[str, str | None, str]] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)


def who_to_call(services: list[dict[str, Any]] | None) -> list[Contact]:
    """The lead of each open statutory or targeted service, each lead once (statutory
    first), with the services they lead and for whom."""
    contacts: dict[tuple[str, str, str], Contact] = {}
    ordered = sorted(services or [], key=lambda s: LEAD_LEVELS.index(s["level"])
                     if s.get("level") in LEAD_LEVELS else len(LEAD_LEVELS))
    for service in ordered:
        lead = service.get("lead")
        if service.get("level") not in LEAD_LEVELS or not lead or service.get("end"):
            continue
        key = (lead["name"], lead.get("phone", ""), lead.get("email", ""))
        contact = contacts.setdefault(key, Contact(
            lead["name"], lead.get("role", ""), lead.get("team", ""), lead.get("phone", ""),
            lead.get("email", "")))
        relationship = str(service.get("relationshipToSubject") or "")
        who = None if relationship == "self" else (service.get("person") or {}).get(
            "displayName")
        label = (str(service["service"]), who, relationship)
        if label not in contact.services:
            contact.services.append(label)
        org = (service.get("organisation") or {}).get("name")
        if org and org not in contact.organisations:
            contact.organisations.append(org)
    return list(contacts.values())


def ask_whom(help_: dict[str, Any] | None) -> str:
    """Whom a withheld count sends the reader to, from the API's `whoToAsk`: the lead
    agency of an open statutory service they may see, else their own agency's
    information-sharing contact.

    >>> ask_whom({"leadAgency": "Children in Care Team", "contact": None})
    'ask the lead agency: Children in Care Team'
    >>> ask_whom({"leadAgency": None, "contact": {"name": "A Lee", "phone": "01 2"}})
    'ask your information-sharing contact: A Lee, 01 2'
    >>> ask_whom(None)
    'ask your information-sharing contact'
    """
    agency = (help_ or {}).get("leadAgency")
    if agency:
        return f"ask the lead agency: {agency}"
    contact = (help_ or {}).get("contact") or {}
    said = ", ".join(str(contact[k]) for k in ("name", "phone") if contact.get(k))
    return "ask your information-sharing contact" + (f": {said}" if said else "")


@dataclass
class Folded:
    """Services split for the page: lead services in a table, universal ones folded."""

    lead_rows: list[dict[str, Any]]
    universal_lines: list[tuple[str, list[str]]]  # ("GP", ["Parkside Surgery", ...])
    universal_rows: list[dict[str, Any]]


def fold_services(services: list[dict[str, Any]] | None) -> Folded:
    """Statutory, targeted and specialist rows in the table; universal services folded
    into one line per kind ('GP: Parkside Surgery'), the rows behind them kept for the
    reader who opens them."""
    leads: list[dict[str, Any]] = []
    universal: list[dict[str, Any]] = []
    lines: dict[str, list[str]] = {}
    for service in services or []:
        if service.get("level") == "UNIVERSAL":
            universal.append(service)
            kind = UNIVERSAL_KINDS.get(service["service"], service["service"])
            where = (service.get("organisation") or {}).get("name") or "not recorded"
            if where not in lines.setdefault(kind, []):
                lines[kind].append(where)
        else:
            leads.append(service)
    order = {"STATUTORY": 0, "TARGETED": 1, "SPECIALIST": 2}
    leads.sort(key=lambda s: (order.get(s.get("level", ""), 3), s.get("start") or ""))
    return Folded(leads, list(lines.items()), universal)


def wider_family(genogram: dict[str, Any] | None,
                 household: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The genogram's people who are not the child and do not live with them, nearest
    generation first: name, relationship, birth date."""
    if not genogram:
        return []
    at_home = {m["person"]["id"] for m in (household or {}).get("members") or []}
    people = [n for n in genogram.get("nodes") or []
              if not n.get("isSubject") and n["person"]["id"] not in at_home]
    people.sort(key=lambda n: (abs(n.get("generation", 0)), n["person"]["displayName"]))
    return people


def newest_first(risks: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if risks is None:
        return None
    return sorted(risks, key=lambda r: r.get("from") or "", reverse=True)


def is_restricted(address: dict[str, Any] | None) -> bool:
    """Whether the released address is marked restricted (or sealed): shown to this
    viewer, who must not pass it on. Needs `sensitivity` on Address in the answer."""
    level = str((address or {}).get("sensitivity") or "").upper()
    return level in ("RESTRICTED", "SEALED")
