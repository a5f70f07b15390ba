"""Measure a synthetic borough against the English figures it is meant to resemble.

    python -m bench.borough_figures --people 100000 --seed 1 [--out DIR]

Reads only the ground truth and the extracts the generator wrote, so it measures what a user of
the files would see. Prints target and produced figures side by side (docs/synthetic-borough.md).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from loaders.synthetic import generate_borough

TODAY = date(2026, 11, 23)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _age(birth: str, day: date) -> int:
    born = date.fromisoformat(birth)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _open_on(row: dict[str, str], day: date) -> bool:
    return row["start"] <= day.isoformat() and (row["end"] == "" or row["end"] > day.isoformat())


def figures(out: Path, today: date = TODAY) -> list[tuple[str, str, str]]:
    """(figure, target, produced) rows for the borough written to ``out``."""
    people = {row["person_key"]: row for row in _read(out / "truth" / "people.csv")}
    households: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, str] = {}
    for row in _read(out / "truth" / "households.csv"):
        households[row["household_key"]].append(row["person_key"])
        kinds[row["household_key"]] = row["kind"]
    bonds = _read(out / "truth" / "relationships.csv")
    partners: dict[str, tuple[str, str]] = {}
    for bond in bonds:
        if bond["kind"] in ("partner", "spouse") and bond["valid_to"] == "":
            partners[bond["from_person"]] = (bond["to_person"], bond["kind"])
            partners[bond["to_person"]] = (bond["from_person"], bond["kind"])
    residents = [key for members in households.values() for key in members]
    ages = {key: _age(people[key]["birth_date"], today) for key in residents}
    sizes = [len(members) for members in households.values()]

    def parents(key: str) -> set[str]:
        return {people[key]["mother"], people[key]["father"]} - {""}

    families_dependent = lone = step_families = couple_dependent = cohabiting = couples = 0
    multi_generation = hmo = kinship_children = half_sibling_children = 0
    children_total = 0
    for key, members in households.items():
        here = set(members)
        adults = [m for m in members if ages[m] >= 18]
        dependent = [m for m in members if ages[m] < 16 or (ages[m] < 19 and parents(m) & here)]
        in_couple = [m for m in adults if m in partners and partners[m][0] in here]
        if kinds[key] == "hmo" or (len(adults) >= 3 and not in_couple and not dependent):
            hmo += kinds[key] == "hmo"
        if in_couple:
            couples += 1
            cohabiting += partners[in_couple[0]][1] == "partner"
        generations = set()
        for member in members:
            if parents(member) & here:
                generations.add("child")
                for parent in parents(member) & here:
                    if parents(parent) & here:
                        generations.add("grandchild")
        if "grandchild" in generations:
            multi_generation += 1
        with_parent = [m for m in dependent if parents(m) & here]
        if dependent:
            children_total += len([m for m in dependent if ages[m] < 18])
        for child in dependent:
            grandparents = {grand for parent in parents(child) for grand in parents(parent)}
            if ages[child] < 18 and not parents(child) & here and grandparents & here:
                kinship_children += 1
            siblings = [m for m in members if m != child and parents(m) and parents(child)]
            if any(
                len(parents(m) & parents(child)) == 1
                and len(parents(m)) == 2 == len(parents(child))
                for m in siblings
            ):
                half_sibling_children += ages[child] < 18
        if with_parent:
            families_dependent += 1
            if in_couple:
                couple_dependent += 1
                couple_adults = {in_couple[0], partners[in_couple[0]][0]}
                if any(not (parents(child) >= couple_adults) for child in with_parent):
                    step_families += 1
            else:
                lone += 1
    children = [key for key in residents if ages[key] < 18]
    per_10k = 10_000 / max(1, len(children))
    involvements = _read(out / "truth" / "involvements.csv")

    def open_children(service: str) -> int:
        return len(
            {
                row["person_key"]
                for row in involvements
                if row["service"] == service
                and _open_on(row, today)
                and row["person_key"] in ages
                and ages[row["person_key"]] < 18
            }
        )

    cin = len(
        {
            row["person_key"]
            for row in involvements
            if row["system"] == "social_care"
            and _open_on(row, today)
            and row["person_key"] in ages
            and ages[row["person_key"]] < 18
        }
    )
    attendance = _read(out / "education" / "ONE_Attendance.csv")
    this_year = max((row["Academic Year"] for row in attendance), default="")
    current = [row for row in attendance if row["Academic Year"] == this_year]
    persistent = sum(
        1
        for row in current
        if int(row["Sessions Possible"])
        and (int(row["Authorised Absence"]) + int(row["Unauthorised Absence"]))
        / int(row["Sessions Possible"])
        >= 0.1
    )
    under_fives = [key for key in residents if ages[key] < 5]
    health_keys = {
        row["person_key"]
        for row in _read(out / "truth" / "persons.csv")
        if row["system"] == "health"
    }
    deaths = sum(1 for row in people.values() if row["death_date"] >= "2019-01-01")
    births = sum(1 for row in people.values() if row["birth_date"] >= "2019-01-01")
    refuge_stays = sum(
        1 for row in _read(out / "truth" / "residences.csv") if row["address_kind"] == "refuge"
    )
    ten_to_17 = [key for key in residents if 10 <= ages[key] <= 17]
    notifications = _read(out / "police" / "NICHE_DA_Notifications.csv")
    last_year = str(today.year - 1)
    da_last_year = len(
        {
            row["Occurrence Ref"]
            for row in notifications
            if row["Occurrence Date"].endswith(last_year)
        }
    )
    tenancies = _read(out / "housing" / "HSG_Tenancies.csv")
    open_tenancies = len({row["Tenancy Ref"] for row in tenancies if row["End"] == ""})
    counts = Counter(sizes)
    rows = [
        ("people simulated (ever) / resident today", "", f"{len(people):,} / {len(residents):,}"),
        ("households today", "", f"{len(households):,}"),
        ("mean household size", "2.36", f"{len(residents) / max(1, len(households)):.2f}"),
        ("one-person households", "30%", f"{counts[1] / max(1, len(households)):.0%}"),
        (
            "households of 5 or more",
            "7%",
            f"{sum(v for k, v in counts.items() if k >= 5) / max(1, len(households)):.0%}",
        ),
        (
            "children (under 18) in residents",
            "21%",
            f"{len(children) / max(1, len(residents)):.0%}",
        ),
        (
            "lone-parent share of families with dependent children",
            "~24%",
            f"{lone / max(1, families_dependent):.0%}",
        ),
        ("cohabiting share of couple households", "~19%", f"{cohabiting / max(1, couples):.0%}"),
        (
            "stepfamilies among couple families with dependent children",
            "~10%",
            f"{step_families / max(1, couple_dependent):.0%}",
        ),
        (
            "children living with a half-sibling",
            "",
            f"{half_sibling_children / max(1, len(children)):.1%}",
        ),
        (
            "multi-generation (3+) households",
            "~2%",
            f"{multi_generation / max(1, len(households)):.1%}",
        ),
        ("houses in multiple occupation", "~1%", f"{hmo / max(1, len(households)):.1%}"),
        (
            "children cared for by grandparents without a parent",
            "~1%",
            f"{kinship_children / max(1, len(children)):.1%}",
        ),
        (
            "births per 1,000 people a year",
            "~10",
            f"{1000 * births / max(1, len(residents)) / 7.9:.1f}",
        ),
        (
            "deaths per 1,000 people a year",
            "~9",
            f"{1000 * deaths / max(1, len(residents)) / 7.9:.1f}",
        ),
        ("stays in a refuge since 2019", "", f"{refuge_stays}"),
        ("children in need per 10,000 children (open today)", "~330", f"{cin * per_10k:.0f}"),
        (
            "child protection plans per 10,000 children",
            "~40",
            f"{open_children('Child protection plan') * per_10k:.0f}",
        ),
        (
            "looked after per 10,000 children",
            "~70",
            f"{open_children('Looked after child') * per_10k:.0f}",
        ),
        (
            "early help per 10,000 children (open today)",
            "plausible: 200-400",
            f"{open_children('Early help family support') * per_10k:.0f}",
        ),
        (
            "youth justice per 10,000 aged 10-17 (open today)",
            "~30-50",
            "{:.0f}".format(
                10_000
                * len(
                    {
                        r["person_key"]
                        for r in involvements
                        if r["system"] == "youth_justice"
                        and _open_on(r, today)
                        and r["person_key"] in ages
                    }
                )
                / max(1, len(ten_to_17))
            ),
        ),
        (
            "pupils persistently absent (current year)",
            "~20%",
            f"{persistent / max(1, len(current)):.0%}",
        ),
        (
            "DA notifications per 1,000 households (last calendar year)",
            "~15-30",
            f"{1000 * da_last_year / max(1, len(households)):.0f}",
        ),
        (
            "council tenancies (open) per 100 households",
            "~17",
            f"{100 * open_tenancies / max(1, len(households)):.0f}",
        ),
        (
            "under-fives with health visiting open",
            "~100%",
            "{:.0%}".format(
                len(
                    {
                        r["person_key"]
                        for r in involvements
                        if r["service"] == "Health visiting"
                        and _open_on(r, today)
                        and r["person_key"] in ages
                        and ages[r["person_key"]] < 5
                    }
                )
                / max(1, len(under_fives))
            ),
        ),
        (
            "residents registered with a GP",
            "~98%",
            f"{len(set(residents) & health_keys) / max(1, len(residents)):.0%}",
        ),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "borough"
        if not (out / "truth").exists():
            generate_borough(args.people, args.seed, out, TODAY)
        print(
            f"| figure | target (England) | produced ({args.people:,} people, seed {args.seed}) |"
        )
        print("| --- | --- | --- |")
        for name, target, produced in figures(out):
            print(f"| {name} | {target} | {produced} |")


if __name__ == "__main__":
    main()
