"""Practitioners of the synthetic borough: who leads each service episode, and how to reach them.

Phone numbers come from Ofcom's range reserved for drama (020 7946 0000 to 0999), so none rings
a real line. Each team's staff are drawn from the seed and the team's name alone, so every
neighbourhood of the borough (simulated separately) sees the same people in the same team.
"""

import hashlib
import random
from dataclasses import dataclass

from .names import draw_heritage
from .places import School

COUNCIL_DOMAIN = "eastbridge.gov.uk"
NHS_DOMAIN = "nhs.net"
POLICE_DOMAIN = "eastshire.police.uk"


@dataclass(frozen=True)
class Practitioner:
    """A named lead for service episodes; ``key`` is stable across the borough."""

    key: str
    name: str
    role: str
    team: str
    phone: str
    email: str


class Workforce:
    """Keeps a small staff for each team and hands one out for each new piece of work."""

    def __init__(self, seed: int, rng: random.Random) -> None:
        self._seed = seed
        self._rng = rng
        self._teams: dict[str, list[Practitioner]] = {}

    def lead(self, team: str, role: str, domain: str, staff: int = 5) -> Practitioner:
        """Return one practitioner of ``team``, hiring its ``staff`` the first time it is asked."""
        if team not in self._teams:
            hiring = random.Random(f"famgraph-synthetic:{self._seed}:team:{team}")
            self._teams[team] = [
                self._hire(hiring, role, team, domain, index) for index in range(staff)
            ]
        return self._rng.choice(self._teams[team])

    def safeguarding_lead(self, school: School) -> Practitioner:
        """Return the designated safeguarding lead of ``school``."""
        return self.lead(school.name, "Designated Safeguarding Lead", school.email_domain, staff=1)

    def _hire(
        self, rng: random.Random, role: str, team: str, domain: str, index: int
    ) -> Practitioner:
        heritage = draw_heritage(rng)
        sex = rng.choice(("female", "male"))
        first = rng.choice(heritage.first_names(sex, rng.randint(1965, 2000)))
        last = heritage.family_name(rng)
        digest = hashlib.sha256(f"{self._seed}:{team}:{index}".encode()).hexdigest()
        local = ".".join(_mailbox(part) for part in (first, last))
        email = f"{local}{int(digest[:4], 16) % 90 + 10}@{domain}"
        phone = f"020 7946 0{int(digest[4:10], 16) % 1000:03d}"
        return Practitioner(f"W{digest[:10]}", f"{first} {last}", role, team, phone, email)


def _mailbox(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalpha())
