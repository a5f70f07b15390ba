"""A made-up family that uses every symbol, drawn for docs/genogram.md and the notation test.

`python -m viz.example docs/genogram-example.svg` rewrites the picture; a test keeps the
committed picture equal to what the code draws.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from viz.genogram import Chart, ChartPerson, ChartTie, svg

AS_OF = date(2026, 12, 7)
_PEOPLE = [
    # id, name, sex, born, died, relationship, generation
    ("grandad", "Frank Hale", "MALE", date(1948, 5, 2), date(2021, 2, 14), "grandfather", -2),
    ("nan", "Joan Hale", "FEMALE", date(1950, 8, 9), None, "grandmother", -2),
    ("step-nan", "Rita Hale", "FEMALE", date(1962, 1, 20), None, "step-grandmother", -2),
    ("gran", "Mary Okafor", "FEMALE", date(1958, 3, 3), None, "grandmother", -2),
    ("dad", "Lee Hale", "MALE", date(1984, 7, 1), None, "father", -1),
    ("aunt", "Dawn Hale", "FEMALE", date(1990, 2, 2), None, "half-aunt", -1),
    ("aunt-wife", "Kay Hale", "FEMALE", date(1988, 6, 6), None, "aunt", -1),
    ("mum", "Grace Okafor", "FEMALE", date(1989, 11, 30), None, "mother", -1),
    ("mum-partner", "Sam Reed", "UNKNOWN", date(1987, 4, 4), None, "mother's partner", -1),
    ("foster-mum", "Ann Ward", "FEMALE", date(1970, 9, 9), None, "foster carer", -1),
    ("foster-dad", "Tom Ward", "MALE", date(1968, 10, 10), None, "foster carer", -1),
    ("ruby", "Ruby Hale", "FEMALE", date(2014, 6, 12), None, "self", 0),
    ("twin-a", "Jay Hale", "MALE", date(2017, 3, 8), None, "brother", 0),
    ("twin-b", "Kit Hale", "MALE", date(2017, 3, 8), None, "brother", 0),
    ("half-sister", "Zara Reed", "FEMALE", date(2022, 1, 5), None, "half-sister", 0),
    ("cousin", "Noor Hale", "FEMALE", date(2019, 9, 1), None, "cousin (adopted)", 0),
    ("former-fc", "Leo Shaw", "MALE", date(2010, 5, 5), None, "carers' former foster child", 0),
]
_PARENTS = [
    ("grandad", "dad", "birth"), ("nan", "dad", "birth"),
    ("grandad", "aunt", "birth"), ("step-nan", "aunt", "birth"),
    ("gran", "mum", "birth"),
    ("dad", "ruby", "birth"), ("mum", "ruby", "birth"),
    ("dad", "twin-a", "birth"), ("mum", "twin-a", "birth"),
    ("dad", "twin-b", "birth"), ("mum", "twin-b", "birth"),
    ("mum", "half-sister", "birth"), ("mum-partner", "half-sister", "birth"),
    ("aunt", "cousin", "adoptive"), ("aunt-wife", "cousin", "adoptive"),
    ("foster-mum", "ruby", "foster"), ("foster-dad", "ruby", "foster"),
    ("foster-mum", "former-fc", "foster"), ("foster-dad", "former-fc", "foster"),
    ("mum-partner", "ruby", "step"),
]
_PARTNERS = [
    ("grandad", "nan", "spouse", "divorced", date(1980, 6, 1), date(1988, 3, 1)),
    ("grandad", "step-nan", "spouse", "current", date(1989, 5, 5), date(2021, 2, 14)),
    ("dad", "mum", "partner", "separated", date(2012, 1, 1), date(2020, 8, 1)),
    ("mum", "mum-partner", "partner", "current", date(2021, 1, 1), None),
    ("aunt", "aunt-wife", "spouse", "current", date(2016, 7, 1), None),
    ("foster-mum", "foster-dad", "spouse", "current", date(1995, 4, 1), None),
]


def example_chart() -> Chart:
    """Ruby, in foster care, with her birth family on both sides."""
    people = tuple(
        ChartPerson(id=pid, name=name, sex=sex, born=born, died=died, relationship=word,
                    is_subject=pid == "ruby", generation=generation,
                    systems=("social_care", "health"))
        for pid, name, sex, born, died, word, generation in _PEOPLE)
    ties = [ChartTie("PARENT", parent, child, kind, "current", systems=("social_care",))
            for parent, child, kind in _PARENTS]
    ties += [ChartTie("PARTNER", a, b, kind, status, start, end, ("social_care",))
             for a, b, kind, status, start, end in _PARTNERS]
    household = frozenset({"ruby", "foster-mum", "foster-dad", "former-fc"})
    return Chart(subject_id="ruby", as_of=AS_OF, people=people, ties=tuple(ties),
                 household=household, withheld=1)


def main(argv: list[str]) -> int:
    Path(argv[0]).write_text(svg(example_chart()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
