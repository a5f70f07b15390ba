"""Date arithmetic the synthetic borough shares: ages, school years, random days in a span."""

import random
from datetime import date, timedelta

YEAR_DAYS = 365.25


def add_years(day: date, years: int) -> date:
    """Return the same day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, day: date) -> int:
    """Return age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def academic_year_of(day: date) -> int:
    """The calendar year in which the English academic year holding ``day`` began."""
    return day.year if day.month >= 9 else day.year - 1


def year_group(birth: date, day: date) -> int:
    """Return the English school year group on ``day`` (0 is Reception, 11 is Year 11)."""
    cohort = birth.year if birth.month >= 9 else birth.year - 1
    return academic_year_of(day) - cohort - 5


def census_date(today: date) -> date:
    """The latest 31 March on or before ``today``: the reference date of DfE returns."""
    year = today.year if (today.month, today.day) >= (3, 31) else today.year - 1
    return date(year, 3, 31)


def between(rng: random.Random, start: date, end: date) -> date:
    """A uniformly random day from ``start`` to ``end`` inclusive (``start`` if empty)."""
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def span(rng: random.Random, low: float, high: float) -> timedelta:
    """A random duration between ``low`` and ``high`` years."""
    return timedelta(days=round(rng.uniform(low, high) * YEAR_DAYS))


def months(count: float) -> timedelta:
    """About ``count`` months."""
    return timedelta(days=round(count * 30.44))
