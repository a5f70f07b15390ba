"""The borough's geography: districts, streets, postcodes, UPRNs, neighbouring towns and schools.

Eastbridge and its neighbours are fictional. Their postcode areas (EB, NM, KM, WT) are not used
by Royal Mail but every postcode drawn here matches the BS 7666 pattern, and each unit postcode
covers a short run of one street, as real ones do.
"""

import random
from dataclasses import dataclass

from .identifiers import IdentifierIssuer

TOWN = "Eastbridge"

#: DfE-style local-authority code that Eastbridge allocates UPNs under (201-213 pass CIN
#: validation rule 1530).
LA_CODE = "208"

#: Outward code of each Eastbridge district, with the district's name (teams are named by it).
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("EB1", "Central"),
    ("EB2", "North"),
    ("EB3", "South"),
    ("EB4", "East"),
)

#: Neighbouring towns people move in from: name, postcode area, LA code for UPNs.
NEIGHBOURS: tuple[tuple[str, str, str], ...] = (
    ("Northam", "NM", "210"),
    ("Kingsmere", "KM", "211"),
    ("Westford", "WT", "212"),
)

# fmt: off
_STEMS = (
    "Alder", "Ash", "Beech", "Birch", "Cedar", "Elm", "Hazel", "Holly", "Larch", "Maple", "Oak",
    "Rowan", "Willow", "Yew", "Chestnut", "Hawthorn", "Juniper", "Linden", "Poplar", "Sycamore",
    "Mill", "Church", "Station", "Park", "Victoria", "Albert", "Queens", "Kings", "Manor",
    "Orchard", "Meadow", "Brook", "River", "Bridge", "Market", "Priory", "Abbey", "Castle",
    "Grange", "Heath", "Kestrel", "Heron", "Swallow", "Lark", "Wren", "Falcon", "Osprey",
    "Nightingale", "Foxglove", "Bluebell", "Primrose", "Clover", "Thistle", "Fern", "Bramble",
    "Harvest", "Windmill", "Granary", "Wharf", "Canal", "Lock", "Ferry", "Beacon", "Chapel",
    "Tanner", "Weaver", "Cooper", "Fletcher", "Mason", "Carter", "Baker", "Shepherd",
)
_SUFFIXES = (
    "Road", "Street", "Avenue", "Close", "Lane", "Way", "Gardens", "Crescent", "Grove", "Drive",
    "Terrace", "Walk", "Place", "Rise",
)
# fmt: on
_BUILDINGS = ("Court", "House", "Lodge", "Point", "Mansions")
#: Letters allowed in the last two characters of a postcode (BS 7666 bars C, I, K, M, O, V).
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_STREETS_PER_NEIGHBOUR = 6
#: People per street, so the borough grows streets as it grows people.
_PEOPLE_PER_STREET = 250
_FLAT_SHARE = 0.2
_HOUSES_PER_POSTCODE = 14


@dataclass(frozen=True)
class Address:
    """One addressable place; ``district`` is empty outside Eastbridge."""

    line1: str
    line2: str
    town: str
    postcode: str
    uprn: str
    district: str


@dataclass(frozen=True)
class School:
    """A school pupils are enrolled at; ``establishment`` is its 4-digit DfE number."""

    name: str
    phase: str
    district: str
    establishment: str
    email_domain: str


SCHOOLS: tuple[School, ...] = (
    School("Market Street Primary School", "primary", "Central", "2014", "marketstreet.sch.uk"),
    School("St Mary's C of E Primary School", "primary", "Central", "3302", "stmarys-eb.sch.uk"),
    School("Northfield Primary School", "primary", "North", "2031", "northfield.sch.uk"),
    School(
        "Holy Trinity Catholic Primary School", "primary", "North", "3517", "holytrinity.sch.uk"
    ),
    School("Riverside Primary School", "primary", "South", "2046", "riverside-eb.sch.uk"),
    School("Southgate Primary School", "primary", "South", "2052", "southgate.sch.uk"),
    School("Eastbridge Green Primary School", "primary", "East", "2067", "eastbridgegreen.sch.uk"),
    School("Orchard Vale Primary School", "primary", "East", "2073", "orchardvale.sch.uk"),
    School("Eastbridge Academy", "secondary", "Central", "4005", "eastbridgeacademy.sch.uk"),
    School("Northfield High School", "secondary", "North", "4012", "northfieldhigh.sch.uk"),
    School("Millbrook High School", "secondary", "South", "4020", "millbrook.sch.uk"),
    School("Kingfisher School", "secondary", "East", "4038", "kingfisher.sch.uk"),
)


def schools_in(district: str, phase: str) -> list[School]:
    """Return the schools of one phase (``primary`` or ``secondary``) in a district."""
    return [school for school in SCHOOLS if school.district == district and school.phase == phase]


@dataclass(frozen=True)
class _Street:
    name: str
    town: str
    outward: str
    district: str
    sector: int


class Gazetteer:
    """Hands out distinct addresses in Eastbridge and its neighbouring towns."""

    def __init__(self, rng: random.Random, issuer: IdentifierIssuer, people: int) -> None:
        self._rng = rng
        self._issuer = issuer
        self._taken: set[tuple[str, str, str]] = set()
        self._postcodes: dict[tuple[str, str], str] = {}
        self._postcodes_used: set[str] = set()
        per_district = max(12, people // (_PEOPLE_PER_STREET * len(DISTRICTS)) + 1)
        wanted = per_district * len(DISTRICTS) + _STREETS_PER_NEIGHBOUR * len(NEIGHBOURS)
        combos = [f"{stem} {suffix}" for stem in _STEMS for suffix in _SUFFIXES]
        names = iter(rng.sample(combos, min(wanted, len(combos))))
        self._borough: list[_Street] = []
        for outward, district in DISTRICTS:
            for _ in range(per_district):
                self._borough.append(
                    _Street(next(names), TOWN, outward, district, rng.randint(1, 9))
                )
        self._neighbours: list[_Street] = []
        for town, area, _la in NEIGHBOURS:
            for _ in range(_STREETS_PER_NEIGHBOUR):
                outward = f"{area}{rng.randint(1, 6)}"
                self._neighbours.append(_Street(next(names), town, outward, "", rng.randint(1, 9)))

    def new_address(self) -> Address:
        """Return an Eastbridge address not handed out before."""
        return self._draw(self._borough)

    def previous_address(self, elsewhere_share: float = 0.3) -> Address:
        """Return an address someone lived at before: in Eastbridge or a neighbouring town."""
        if self._rng.random() < elsewhere_share:
            return self._draw(self._neighbours)
        return self._draw(self._borough)

    def _draw(self, streets: list[_Street]) -> Address:
        while True:
            street = self._rng.choice(streets)
            if self._rng.random() < _FLAT_SHARE:
                building = f"{street.name.split()[0]} {self._rng.choice(_BUILDINGS)}"
                line1 = f"Flat {self._rng.randint(1, 40)}, {building}"
                line2 = street.name
                block = building
            else:
                number = self._rng.randint(1, 160)
                line1 = f"{number} {street.name}"
                line2 = ""
                block = str(number // _HOUSES_PER_POSTCODE)
            if (line1, line2, street.town) in self._taken:
                continue
            self._taken.add((line1, line2, street.town))
            return Address(
                line1=line1,
                line2=line2,
                town=street.town,
                postcode=self._postcode(street, block),
                uprn=self._issuer.uprn(),
                district=street.district,
            )

    def _postcode(self, street: _Street, block: str) -> str:
        key = (street.name, block)
        if key not in self._postcodes:
            while True:
                unit = "".join(self._rng.choice(_UNIT_LETTERS) for _ in range(2))
                postcode = f"{street.outward} {street.sector}{unit}"
                if postcode not in self._postcodes_used:
                    break
            self._postcodes_used.add(postcode)
            self._postcodes[key] = postcode
        return self._postcodes[key]
