"""The borough's geography: neighbourhoods, districts, streets, postcodes, UPRNs, towns, schools.

Eastbridge and its neighbours are fictional. Their postcode areas (EB, NM, KM, WT) are not used
by Royal Mail but every postcode drawn here matches the BS 7666 pattern, and each unit postcode
covers a short run of one street, as real ones do.

The borough is simulated one neighbourhood at a time (about 5,000 people each). Neighbourhood
``n`` owns postcode sector ``n % 9 + 1`` of four outward codes (its group's four districts), its
own primary schools and a secondary school, so two neighbourhoods never hand out the same
address, postcode or school.
"""

import random
from dataclasses import dataclass

from .identifiers import IdentifierIssuer

TOWN = "Eastbridge"

#: DfE-style local-authority code that Eastbridge allocates UPNs under (201-213 pass CIN
#: validation rule 1530).
LA_CODE = "208"

#: District names, four to each group of nine neighbourhoods; teams are named by district.
DISTRICT_NAMES: tuple[str, ...] = (
    "Central",
    "North",
    "South",
    "East",
    "Millbrook",
    "Northfield",
    "Southgate",
    "Eastfield",
    "Riverside",
    "Harbour",
    "Kingsway",
    "Parkside",
    "Abbeyfield",
    "Castleton",
    "Moorside",
    "Westgate",
    "Brookvale",
    "Fairmead",
    "Highcross",
    "Longmoor",
    "Oakhurst",
    "Ravenswood",
    "Stonebridge",
    "Thornbury",
)
SECTORS_PER_OUTWARD = 9
DISTRICTS_PER_GROUP = 4

#: Neighbouring towns people move in from and out to: name, postcode area, LA code for UPNs.
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
_PRIMARY_FORMS = (
    "Primary School", "Primary Academy", "C of E Primary School", "Catholic Primary School",
    "Community Primary School",
)
# fmt: on
_BUILDINGS = ("Court", "House", "Lodge", "Point", "Mansions")
#: Letters allowed in the last two characters of a postcode (BS 7666 bars C, I, K, M, O, V).
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_STREETS_PER_DISTRICT = 6
_STREETS_PER_NEIGHBOUR = 4
_FLAT_SHARE = 0.25
_HOUSES_PER_POSTCODE = 14
#: Share of homes let by the council (England: about 17% of homes are social housing).
SOCIAL_HOUSING_SHARE = {"flat": 0.32, "house": 0.11}


@dataclass(frozen=True)
class Address:
    """One addressable place; ``district`` is empty outside Eastbridge.

    ``kind`` is ``house``, ``flat``, ``hmo`` (a house in multiple occupation) or ``refuge``;
    ``social`` says the council lets it.
    """

    line1: str
    line2: str
    town: str
    postcode: str
    uprn: str
    district: str
    kind: str = "house"
    social: bool = False


@dataclass(frozen=True)
class School:
    """A school pupils are enrolled at; ``establishment`` is its 4-digit DfE number."""

    name: str
    phase: str
    district: str
    establishment: str
    urn: str
    email_domain: str


@dataclass(frozen=True)
class _Street:
    name: str
    town: str
    outward: str
    district: str
    sector: int


def district_names(neighbourhood: int) -> list[str]:
    """The names of the four districts neighbourhood ``neighbourhood`` lies across."""
    group = neighbourhood // SECTORS_PER_OUTWARD
    names = []
    for offset in range(DISTRICTS_PER_GROUP):
        index = group * DISTRICTS_PER_GROUP + offset
        name = DISTRICT_NAMES[index % len(DISTRICT_NAMES)]
        if index >= len(DISTRICT_NAMES):
            name = f"{name} {index // len(DISTRICT_NAMES) + 1}"
        names.append(name)
    return names


def schools_of(neighbourhood: int) -> list[School]:
    """The schools of one neighbourhood: a primary in each district and one secondary."""
    districts = district_names(neighbourhood)
    schools = []
    for offset, district in enumerate(districts):
        index = neighbourhood * DISTRICTS_PER_GROUP + offset
        stem = _STEMS[index % len(_STEMS)]
        form = _PRIMARY_FORMS[(index // len(_STEMS)) % len(_PRIMARY_FORMS)]
        name = f"{stem} {form}"
        if index >= len(_STEMS) * len(_PRIMARY_FORMS):
            name = f"{name}, {district}"
        slug = "".join(char for char in stem.lower() if char.isalpha())
        schools.append(
            School(
                name,
                "primary",
                district,
                f"{2000 + index:04d}",
                f"{130000 + index:06d}",
                f"{slug}{index}.sch.uk",
            )
        )
    head = districts[neighbourhood % DISTRICTS_PER_GROUP]
    schools.append(
        School(
            f"{head} Academy"
            if neighbourhood < SECTORS_PER_OUTWARD
            else f"{head} Academy "
            f"{neighbourhood // SECTORS_PER_OUTWARD + 1}-{neighbourhood % SECTORS_PER_OUTWARD + 1}",
            "secondary",
            head,
            f"{4000 + neighbourhood:04d}",
            f"{140000 + neighbourhood:06d}",
            f"academy{neighbourhood}.sch.uk",
        )
    )
    return schools


class Gazetteer:
    """Hands out distinct addresses in one neighbourhood of Eastbridge and in nearby towns."""

    def __init__(self, rng: random.Random, issuer: IdentifierIssuer, neighbourhood: int) -> None:
        self._rng = rng
        self._issuer = issuer
        self._taken: set[tuple[str, str, str]] = set()
        self._postcodes: dict[tuple[str, str], str] = {}
        self._postcodes_used: set[str] = set()
        group = neighbourhood // SECTORS_PER_OUTWARD
        sector = neighbourhood % SECTORS_PER_OUTWARD + 1
        self.districts = district_names(neighbourhood)
        combos = [f"{stem} {suffix}" for stem in _STEMS for suffix in _SUFFIXES]
        wanted = _STREETS_PER_DISTRICT * len(self.districts) + _STREETS_PER_NEIGHBOUR * len(
            NEIGHBOURS
        )
        names = iter(rng.sample(combos, wanted))
        self._borough: dict[str, list[_Street]] = {}
        for offset, district in enumerate(self.districts):
            outward = f"EB{group * DISTRICTS_PER_GROUP + offset + 1}"
            self._borough[district] = [
                _Street(next(names), TOWN, outward, district, sector)
                for _ in range(_STREETS_PER_DISTRICT)
            ]
        self._neighbours: list[_Street] = []
        for town, area, _la in NEIGHBOURS:
            for _ in range(_STREETS_PER_NEIGHBOUR):
                outward = f"{area}{group + 1}"
                self._neighbours.append(_Street(next(names), town, outward, "", sector))
        self._all_borough = [street for streets in self._borough.values() for street in streets]

    def new_address(self, district: str = "", kind: str = "") -> Address:
        """Return an Eastbridge address not handed out before, in ``district`` if given."""
        streets = self._borough[district] if district else self._all_borough
        return self._draw(streets, kind)

    def elsewhere(self) -> Address:
        """Return an address in a neighbouring town: where people come from and go to."""
        return self._draw(self._neighbours, "")

    def previous_address(self, elsewhere_share: float = 0.3) -> Address:
        """Return an address someone lived at before: in Eastbridge or a neighbouring town."""
        if self._rng.random() < elsewhere_share:
            return self.elsewhere()
        return self.new_address()

    def refuge(self) -> Address:
        """Return a women's refuge: a discreet address, in a neighbouring town or the borough."""
        streets = self._neighbours if self._rng.random() < 0.6 else self._all_borough
        return self._draw(streets, "refuge")

    def _draw(self, streets: list[_Street], kind: str) -> Address:
        while True:
            street = self._rng.choice(streets)
            flat = kind == "flat" or (kind == "" and self._rng.random() < _FLAT_SHARE)
            if flat:
                building = f"{street.name.split()[0]} {self._rng.choice(_BUILDINGS)}"
                line1 = f"Flat {self._rng.randint(1, 40)}, {building}"
                line2 = street.name
                block = building
            else:
                number = self._rng.randint(1, 220)
                line1 = f"{number} {street.name}"
                line2 = ""
                block = str(number // _HOUSES_PER_POSTCODE)
            if (line1, line2, street.town) in self._taken:
                continue
            self._taken.add((line1, line2, street.town))
            built = "flat" if flat else "house"
            social = bool(street.district) and self._rng.random() < SOCIAL_HOUSING_SHARE[built]
            return Address(
                line1=line1,
                line2=line2,
                town=street.town,
                postcode=self._postcode(street, block),
                uprn=self._issuer.uprn(),
                district=street.district,
                kind=kind or built,
                social=social and kind not in ("hmo", "refuge"),
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
