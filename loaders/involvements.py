"""Involvements a source calls closed are ended: no closed episode may read as still open."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from loaders.quarantine import Quarantine
from loaders.records import Extract


def end_closed_involvements(extract: Extract, quarantine: Quarantine, today: date) -> int:
    """Give every closed involvement without an end date one: its last activity, else the
    day before its system's extract was taken (else before `today`: on the extract's own day
    it was already closed), never before its start. Each such
    end is stated on the load as a warning naming the file, row and what it was taken from.

    Returns how many ends were inferred.
    """
    inferred = 0
    for number, inv in enumerate(extract.involvements):
        if inv.status != "closed" or inv.end is not None:
            continue
        if inv.system in extract.extract_dates:
            latest = extract.extract_dates[inv.system] - timedelta(days=1)
            why = "the day before the extract date"
        else:
            latest = today - timedelta(days=1)
            why = "the day before the load (the extract gives no date of its own)"
        end = latest
        # Activity on the extract's own day (or later) does not reopen it: the source
        # already called it closed that day.
        if inv.last_activity is not None and inv.last_activity <= latest:
            end, why = inv.last_activity, "its last activity"
        end = max(end, inv.start)
        quarantine.warn(inv.where.file, inv.where.row, "end",
                        f"closed with no end date: ended {end} ({why})")
        extract.involvements[number] = replace(inv, end=end)
        inferred += 1
    return inferred
