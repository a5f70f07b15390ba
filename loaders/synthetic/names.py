"""Names for the synthetic borough: given and family names by heritage, and common short forms."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Heritage:
    """A naming tradition: the given and family names a family of that background might use."""

    label: str
    weight: float
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]
    #: Names given mostly before about 1990; empty when the same names serve every generation.
    elder_male: tuple[str, ...] = ()
    elder_female: tuple[str, ...] = ()

    def first_names(self, sex: str, born: int) -> tuple[str, ...]:
        """The first names this tradition gave to babies of ``sex`` born in the year ``born``."""
        current = self.female if sex == "female" else self.male
        elder = self.elder_female if sex == "female" else self.elder_male
        if not elder or born >= 1995:
            return current
        if born < 1980:
            return elder
        return current + elder

    def given_names(
        self, sex: str, born: int, rng: random.Random, middle_share: float = 0.55
    ) -> str:
        """Draw a first name, and a middle name for ``middle_share`` of people."""
        pool = self.first_names(sex, born)
        first = rng.choice(pool)
        if rng.random() < middle_share:
            middle = rng.choice(pool)
            if middle != first:
                return f"{first} {middle}"
        return first

    def family_name(self, rng: random.Random) -> str:
        """Draw a family name."""
        return rng.choice(self.family)


# fmt: off
HERITAGES: tuple[Heritage, ...] = (
    Heritage(
        "english",
        0.62,
        male=(
            "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Jack", "Charlie",
            "Jacob", "Thomas", "William", "James", "Alexander", "Samuel", "Joseph", "Daniel",
            "Benjamin", "Matthew", "Ryan", "Liam", "Connor", "Kai", "Tyler", "Ethan", "Finley",
            "Alfie", "Theo", "Freddie", "Archie", "Reuben",
        ),
        female=(
            "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Sophia",
            "Grace", "Freya", "Emily", "Poppy", "Ella", "Evie", "Charlotte", "Florence", "Chloe",
            "Jessica", "Sophie", "Hannah", "Abigail", "Leah", "Jade", "Rebecca",
        ),
        elder_male=(
            "Christopher", "Michael", "Robert", "David", "Richard", "Andrew", "Paul", "Mark",
            "Stephen", "Peter", "John", "Kevin", "Gary", "Lee", "Dean", "James", "William",
            "Thomas", "Daniel", "Matthew",
        ),
        elder_female=(
            "Katherine", "Elizabeth", "Margaret", "Victoria", "Jennifer", "Samantha", "Rachel",
            "Laura", "Sarah", "Emma", "Gemma", "Claire", "Nicola", "Joanne", "Lisa", "Michelle",
            "Karen", "Susan", "Patricia", "Janet", "Maureen", "Jean", "Kayleigh", "Rebecca",
        ),
        family=(
            "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
            "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White",
            "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Jackson", "Wood",
            "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "King",
            "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson",
            "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Cook",
            "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Miller", "Cox",
            "Richards", "Marshall", "Anderson", "Simpson", "Ellis", "Adams",
        ),
    ),
    Heritage(
        "celtic",
        0.08,
        male=("Sean", "Liam", "Patrick", "Conor", "Niall", "Callum", "Ewan", "Rory", "Declan"),
        female=("Siobhan", "Niamh", "Aoife", "Ciara", "Erin", "Orla", "Mairead", "Fiona", "Eilidh"),
        family=(
            "O'Brien", "Murphy", "Kelly", "Gallagher", "Fitzgerald", "Murray", "Campbell",
            "Stewart", "Reid", "MacDonald", "O'Connor", "Byrne",
        ),
    ),
    Heritage(
        "south_asian",
        0.12,
        male=(
            "Mohammed", "Muhammad", "Ibrahim", "Yusuf", "Omar", "Arjun", "Rohan", "Imran",
            "Aarav", "Hamza", "Zain", "Vikram", "Sanjay",
        ),
        female=(
            "Aisha", "Zara", "Maryam", "Fatima", "Priya", "Ananya", "Amira", "Sana", "Noor",
            "Simran", "Anjali", "Hafsa",
        ),
        family=("Patel", "Khan", "Singh", "Begum", "Ali", "Hussain", "Ahmed", "Kaur", "Shah",
                "Sharma", "Rahman", "Iqbal"),
    ),
    Heritage(
        "west_african",
        0.08,
        male=("Kwame", "Chidi", "Oluwaseun", "Emeka", "Kofi", "Tunde", "Femi", "Yaw", "Daniel"),
        female=("Amara", "Ngozi", "Chiamaka", "Adaeze", "Abena", "Funmilayo", "Esther", "Grace"),
        family=("Okafor", "Adeyemi", "Mensah", "Osei", "Boateng", "Okonkwo", "Adebayo", "Owusu",
                "Eze", "Asante"),
    ),
    Heritage(
        "eastern_european",
        0.07,
        male=("Jakub", "Piotr", "Andrei", "Mateusz", "Tomasz", "Lukasz", "Mihai", "Bogdan"),
        female=("Agnieszka", "Oliwia", "Ioana", "Zuzanna", "Katarzyna", "Elena", "Maria", "Anna"),
        family=("Nowak", "Kowalski", "Popescu", "Wisniewski", "Lewandowski", "Ionescu", "Kaminski",
                "Dumitru"),
    ),
    Heritage(
        "other",
        0.03,
        male=("Lucas", "Mateo", "Minh", "Wei", "Rafael", "Gabriel", "Joao"),
        female=("Ana", "Beatriz", "Linh", "Mei", "Camila", "Julia", "Lan"),
        family=("Santos", "Da Silva", "Ferreira", "Chen", "Nguyen", "Hernandez", "Hoang", "Wang"),
    ),
)
# fmt: on

#: Common short forms that one system may record instead of the name another holds.
NICKNAMES: dict[str, str] = {
    "William": "Bill",
    "Robert": "Bob",
    "Elizabeth": "Liz",
    "Margaret": "Maggie",
    "Katherine": "Kate",
    "Thomas": "Tom",
    "James": "Jim",
    "Michael": "Mike",
    "Daniel": "Dan",
    "Jennifer": "Jenny",
    "Samuel": "Sam",
    "Samantha": "Sam",
    "Alexander": "Alex",
    "Rebecca": "Becky",
    "Victoria": "Vicky",
    "Christopher": "Chris",
    "Matthew": "Matt",
    "Joseph": "Joe",
    "Benjamin": "Ben",
    "Jessica": "Jess",
    "Abigail": "Abi",
    "Andrew": "Andy",
    "Stephen": "Steve",
    "Peter": "Pete",
    "Charlotte": "Lottie",
    "Florence": "Flo",
    "Oliver": "Ollie",
    "Nicola": "Nicky",
    "Patricia": "Pat",
    "Richard": "Rick",
    "Mohammed": "Mo",
    "Muhammad": "Mo",
    "Patrick": "Paddy",
    "Katarzyna": "Kasia",
    "Anthony": "Tony",
    "Edward": "Ed",
    "Frederick": "Fred",
    "Alfred": "Alfie",
    "Harold": "Harry",
    "Susan": "Sue",
    "Jacob": "Jake",
    "Nathaniel": "Nate",
    "Isabella": "Bella",
    "Gabriel": "Gabe",
    "Zachary": "Zac",
    "Theodore": "Theo",
}

#: DfE ethnicity codes a child of each heritage is most often recorded with, with weights.
ETHNICITIES: dict[str, tuple[tuple[str, float], ...]] = {
    "english": (("WBRI", 0.95), ("WOTH", 0.03), ("NOBT", 0.02)),
    "celtic": (("WIRI", 0.6), ("WBRI", 0.35), ("WIRT", 0.05)),
    "south_asian": (("APKN", 0.4), ("AIND", 0.35), ("ABAN", 0.2), ("AOTH", 0.05)),
    "west_african": (("BAFR", 0.85), ("BOTH", 0.1), ("BCRB", 0.05)),
    "eastern_european": (("WOTH", 0.9), ("WROM", 0.1)),
    "other": (("OOTH", 0.5), ("CHNE", 0.3), ("AOTH", 0.2)),
}
#: The DfE code for a child whose parents' heritages differ, by the other parent's heritage.
MIXED_ETHNICITIES: dict[str, str] = {
    "west_african": "MWBA",
    "south_asian": "MWAS",
}


def draw_heritage(rng: random.Random) -> Heritage:
    """Draw a heritage in proportion to its weight."""
    return rng.choices(HERITAGES, weights=[heritage.weight for heritage in HERITAGES])[0]


def heritage_of(family_name: str) -> Heritage | None:
    """Return the first heritage that uses ``family_name``, if any."""
    return next((heritage for heritage in HERITAGES if family_name in heritage.family), None)


def nickname_of(given_names: str) -> str | None:
    """Return ``given_names`` with the first name shortened, or None if it has no short form."""
    first, _, rest = given_names.partition(" ")
    short = NICKNAMES.get(first)
    if short is None:
        return None
    return f"{short} {rest}".strip()


def ethnicity_of(heritage: str, other: str, rng: random.Random) -> str:
    """Draw the DfE ethnicity code a child of ``heritage`` (other parent ``other``) is given."""
    if other != heritage and "english" in (heritage, other):
        mixed = MIXED_ETHNICITIES.get(other if heritage == "english" else heritage, "MOTH")
        if rng.random() < 0.7:
            return mixed
    codes = ETHNICITIES.get(heritage, ETHNICITIES["other"])
    return rng.choices([code for code, _ in codes], [weight for _, weight in codes])[0]


_KEYBOARD_NEIGHBOURS = {
    "a": "s",
    "e": "r",
    "i": "o",
    "o": "p",
    "n": "m",
    "m": "n",
    "r": "t",
    "t": "r",
    "l": "k",
    "s": "a",
    "h": "j",
    "c": "v",
    "d": "f",
    "u": "y",
    "y": "u",
}


def typo(name: str, rng: random.Random) -> str:
    """Return ``name`` with one keyboard slip: a swap, a dropped, doubled or wrong letter."""
    if len(name) < 4:
        return name
    at = rng.randrange(1, len(name) - 1)
    slip = rng.choice(("swap", "drop", "double", "neighbour"))
    if slip == "swap" and name[at] != name[at + 1]:
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    if slip == "drop":
        return name[:at] + name[at + 1 :]
    if slip == "double":
        return name[:at] + name[at] + name[at:]
    wrong = _KEYBOARD_NEIGHBOURS.get(name[at].lower())
    if wrong is None:
        return name[:at] + name[at + 1 :]
    return name[:at] + wrong + name[at + 1 :]
