"""Practitioners of the synthetic borough: who leads each service episode, and how to reach them.

Phone numbers come from Ofcom's range reserved for drama (020 7946 0000 to 0999), so none rings
a real line.
"""

import random
from dataclasses import dataclass

from .names import draw_heritage
from .places import School

COUNCIL_DOMAIN = "eastbridge.gov.uk"
NHS_DOMAIN = "nhs.net"


@dataclass(frozen=True)
class Practitioner:
    """A named lead for service episodes."""

    name: str
    role: str
    team: str
    phone: str
    email: str


class Workforce:
    """Keeps a small staff for each team and hands one out for each new piece of work."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._extensions = iter(rng.sample(range(1000), 1000))
        self._teams: dict[str, list[Practitioner]] = {}
        self._emails: set[str] = set()

    def lead(self, team: str, role: str, domain: str, staff: int = 4) -> Practitioner:
        """Return one practitioner of ``team``, hiring its ``staff`` the first time it is asked."""
        if team not in self._teams:
            self._teams[team] = [self._hire(role, team, domain) for _ in range(staff)]
        return self._rng.choice(self._teams[team])

    def safeguarding_lead(self, school: School) -> Practitioner:
        """Return the designated safeguarding lead of ``school``."""
        return self.lead(school.name, "Designated Safeguarding Lead", school.email_domain, staff=1)

    def _hire(self, role: str, team: str, domain: str) -> Practitioner:
        while True:
            heritage = draw_heritage(self._rng)
            sex = self._rng.choice(("female", "male"))
            first = self._rng.choice(heritage.first_names(sex, self._rng.randint(1965, 2000)))
            last = heritage.family_name(self._rng)
            local = ".".join(_mailbox(part) for part in (first, last))
            email = f"{local}@{domain}"
            if email not in self._emails:
                break
        self._emails.add(email)
        phone = f"020 7946 0{next(self._extensions):03d}"
        return Practitioner(f"{first} {last}", role, team, phone, email)


def _mailbox(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalpha())
