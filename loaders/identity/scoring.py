"""Splink on DuckDB: train on the records unsupervised, then score every candidate pair.

Training estimates how often two random records match (from deterministic rules), u by
random sampling and m by expectation maximisation, each with a fixed seed. A table too
small to train on is scored with the parameters given (the last stored model, or priors).
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, NamedTuple

import pyarrow as pa
from splink import DuckDBAPI, Linker

# Splink 5 keeps its exception classes in internals; EMTrainingException is a SplinkException.
from splink.internals.exceptions import EMTrainingException, SplinkException

from loaders.identity import Progress, collector_paused, default_model
from loaders.identity import settings as linkage

# Splink reports progress and untrainable levels through logging; a load prints its own.
logging.getLogger("splink").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class Training:
    """How hard to train. Tests use small numbers; a council's loads the defaults."""

    u_max_pairs: float = 2e6
    em_iterations: int = 10
    em_max_pairs: float | None = 5e6
    seed: int = 42
    min_records: int = 1_000  # fewer records than this: score with the parameters given
    threads: int | None = None  # DuckDB threads; None lets DuckDB choose
    # DuckDB's own memory (it spills beyond); None: its default. At a million records
    # Splink's predictions reach it, beside the rows in Python: 2.5 GB keeps the whole run
    # under 4 GB, for the same CPU as 3 GB (docs/identity.md, Scale).
    memory_limit: str | None = "2.5GB"


@dataclass(frozen=True, slots=True)
class FieldWeight:
    """One comparison of one pair: which level it reached and the match weight that adds."""

    field: str
    level: str
    weight: float


class ScoredPair(NamedTuple):
    """Two records (`a` before `b`), their match weight and probability, and the evidence.
    A tuple rather than a frozen dataclass: a million records make millions of pairs,
    scored and rescored, and a tuple is built in half the time."""

    a: str
    b: str
    match_weight: float
    probability: float
    fields: tuple[FieldWeight, ...]


@dataclass(slots=True)
class Scoring:
    pairs: list[ScoredPair]
    parameters: dict[str, Any]  # Splink's model JSON, trained or as given
    summary: dict[str, Any] = field(default_factory=dict)


class TrainingFailed(Exception):
    """Splink could not train on these records; `reason` says why, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoModel(Exception):
    """Neither a stored nor the default model is at hand: only the rules can resolve."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# What Splink raises when records cannot train a pass: an empty comparison set for a
# training rule (EMTrainingException, a SplinkException), a parameter it cannot represent
# (an m or u of exactly 0: ValueError), or deterministic rules that find more matches
# than the recall allows (ValueError).
UNTRAINABLE = (EMTrainingException, SplinkException, ValueError)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__


def _labels(parameters: dict[str, Any]) -> dict[str, dict[int, str]]:
    """For each comparison, the level label of each comparison-vector value."""
    found: dict[str, dict[int, str]] = {}
    for comparison in parameters["comparisons"]:
        levels = comparison["comparison_levels"]
        real = [level for level in levels if not level.get("is_null_level")]
        names = {-1: "missing"}
        for index, level in enumerate(real):
            names[len(real) - 1 - index] = level.get("label_for_charts") or level["sql_condition"]
        found[comparison["output_column_name"]] = names
    return found


def _levels_by_weight(model: dict[str, Any]) -> dict[str, list[tuple[float, int]]] | None:
    """For each comparison, each level's match weight and comparison-vector value (a missing
    value weighs 0), when no two levels of any comparison weigh nearly the same, so that a
    pair's weight names its level; None otherwise (two levels no training pair reached,
    both floored, weigh the same)."""
    found: dict[str, list[tuple[float, int]]] = {}
    for comparison in model["comparisons"]:
        real = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        weights = [(0.0, -1)]
        for index, level in enumerate(real):
            m, u = level.get("m_probability"), level.get("u_probability")
            if not m or not u:
                return None
            weights.append((math.log2(float(m) / float(u)), len(real) - 1 - index))
        values = sorted(weight for weight, _ in weights)
        if any(b - a < 1e-3 for a, b in pairwise(values)):
            return None
        found[comparison["output_column_name"]] = weights
    return found


def _nearest(weights: list[tuple[float, int]], weight: float) -> int:
    """The comparison-vector value of the level whose weight is nearest `weight`."""
    return min(weights, key=lambda level: abs(level[0] - weight))[1]


def _train(linker: Any, frame: Any, training: Training) -> tuple[dict[str, Any], Any]:
    """Train `linker` in place where it can: (report, the linker to score with).

    Raises TrainingFailed when no model can be trained from these records: the chance of a
    match or u cannot be estimated, or every expectation-maximisation pass was refused.
    """
    report: dict[str, Any] = {"trained": True}
    try:
        linker.training.estimate_probability_two_random_records_match(
            linkage.DETERMINISTIC_RULES, recall=linkage.DETERMINISTIC_RECALL
        )
    except UNTRAINABLE as error:
        raise TrainingFailed(
            "could not estimate how often two records match: " + _first_line(error)
        ) from error
    prior = float(linker.misc.save_model_to_json()["probability_two_random_records_match"])
    if not 0.0 < prior < 1.0:
        raise TrainingFailed(
            "no two records share an NHS number or a full name and birth date,"
            " so how often two records match cannot be estimated"
        )
    try:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=training.u_max_pairs, seed=training.seed
        )
    except UNTRAINABLE as error:
        raise TrainingFailed(
            "could not estimate u from random pairs: " + _first_line(error)
        ) from error
    skipped = []
    reasons = []
    for rule in linkage.TRAINING_RULES:
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=training.em_max_pairs
            )
        except UNTRAINABLE as error:
            # Splink refuses a pass whose rule makes no pairs (EMTrainingException) or an m
            # that came out exactly 0 (a level no match reached in a small borough's blocked
            # sample: ValueError), and leaves the linker half updated, so the model from
            # before this pass is restored and the pass is named as skipped.
            skipped.append(rule)
            reasons.append(_first_line(error))
            linker = Linker(frame, before, log_level=None, validate_settings=False)
    if len(skipped) == len(linkage.TRAINING_RULES):
        raise TrainingFailed(
            "every training pass was refused (the first: " + reasons[0] + ")"
        )
    report["training_rules"] = linkage.TRAINING_RULES
    report["training_rules_skipped"] = skipped
    return report, linker


def _fallback(
    parameters: dict[str, Any] | None, trained_on: str | None, why: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    info: dict[str, Any]
    """The model to score with when this load's records do not train one, in order: the
    store's last trained model, famgraph's default model; raises NoModel when neither is
    at hand (the resolver then falls back to the deterministic rules)."""
    if parameters is not None:
        info = {
            "model_used": "stored",
            "model_reason": f"{why}; scored with the store's last trained model",
        }
        if trained_on is not None:
            info["trained_on"] = trained_on
        return dict(parameters), info
    shipped = default_model.parameters()
    if shipped is not None:
        return shipped, {
            "model_used": "default",
            "model_reason": f"{why}; the store holds no trained model, so famgraph's default"
                            " model (trained on the synthetic borough) was used",
        }
    raise NoModel(f"{why}; the store holds no trained model and famgraph's default model"
                  " is missing")


def data_digest(rows: pa.Table) -> str:
    """A fingerprint of the comparison rows: the same records give the same digest."""
    digest = hashlib.sha256(str(rows.schema).encode())
    for batch in rows.to_batches():  # Arrow's own bytes, a batch at a time
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        digest.update(sink.getvalue())
    return digest.hexdigest()[:24]


def score(
    rows: pa.Table,
    parameters: dict[str, Any] | None,
    training: Training,
    *,
    threshold: float = linkage.KEEP_THRESHOLD,
    trained_on: str | None = None,
    related: Collection[str] | None = None,
    unrelated_threshold: float = linkage.REVIEW_THRESHOLD,
    progress: Progress | None = None,
    fixed: dict[str, Any] | None = None,
) -> Scoring:
    """Score candidate pairs among `rows` (a `features.rows_for` table), training first
    when there are enough of them.

    `parameters` is a stored model to start from (its trained m and u are used when the
    table is too small to train on); None starts from the priors in `settings`.
    Pairs are kept from `threshold` up when both records are in `related` (records whose
    own system names relatives: family evidence may still lift them), and from
    `unrelated_threshold` up otherwise, since nothing after scoring can change those; with
    `related` None every pair is kept from `threshold` up. `progress` is told "training"
    and "scoring pairs" as each starts. `fixed` is a model to score with as it is, never
    trained (a delta's: `delta.within_blocks` of the store's last model), with the
    `model_used` and `model_reason` it should be reported under.
    """
    tell = progress or (lambda _: None)
    info: dict[str, Any]
    if rows.num_rows < 2:
        settings, info = _fallback(
            parameters, trained_on, f"{rows.num_rows} record, nothing to compare or train on"
        )
        return Scoring([], settings, {"trained": False, "records": rows.num_rows, **info})
    # Seconds per stage, kept in the model's summary: what a large load spent where.
    # CPU seconds too (every thread's): on a shared machine wall time also counts waiting.
    seconds: dict[str, float] = {}
    cpu_seconds: dict[str, float] = {}
    clock = [time.perf_counter(), time.process_time()]

    def lap(stage: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        seconds[stage] = round(now - clock[0], 1)
        cpu_seconds[stage] = round(cpu - clock[1], 1)
        clock[:] = [now, cpu]

    settings = linkage.settings_dict(rows.num_rows, max_iterations=training.em_iterations)
    digest = data_digest(rows)
    trainable = rows.num_rows >= training.min_records
    info = {}
    if fixed is not None:
        trainable = False
        settings, info = dict(fixed["model"]), {k: fixed[k] for k in ("model_used", "model_reason")}
    elif parameters is not None and trained_on == digest:
        trainable = False  # the stored model was trained on exactly these records: reuse it
        settings, info = dict(parameters), {
            "model_used": "stored",
            "model_reason": "the records are those the store's last model was trained on,"
                            " so that model was reused",
            "trained_on": trained_on,
        }
    elif not trainable:
        settings, info = _fallback(
            parameters, trained_on,
            f"{rows.num_rows} records, fewer than the {training.min_records} needed to train",
        )
    # DuckDB spills what does not fit its memory cap into files of the records themselves:
    # in a private folder removed afterwards, never in the working directory (its default).
    spill = tempfile.mkdtemp(prefix="famgraph-duckdb-")
    try:
        db_api = DuckDBAPI()
        db_api.duckdb_con.execute("SET temp_directory = ?", [spill]).fetchall()
        if training.threads is not None:
            db_api.duckdb_con.execute(f"SET threads TO {int(training.threads)}").fetchall()
        if training.memory_limit is not None:
            # DuckDB takes up to 80% of memory by default; capped, it spills to disk instead.
            db_api.duckdb_con.execute(f"SET memory_limit = '{training.memory_limit}'").fetchall()
        # Reproducible random sampling for u needs DuckDB's sampling seeded too.
        db_api.duckdb_con.execute(f"SELECT setseed({(training.seed % 1000) / 1000})").fetchall()
        frame = db_api.register(rows, dataset_display_name="records")
        lap("prepare")
        linker = Linker(frame, settings, log_level=None, validate_settings=False)
        summary: dict[str, Any] = {"trained": False, "records": rows.num_rows, "data": digest}
        summary |= info
        if trainable:
            tell("training")
            try:
                report, linker = _train(linker, frame, training)
            except TrainingFailed as failure:
                settings, info = _fallback(
                    parameters, trained_on, "training could not run: " + failure.reason
                )
                summary |= info
                linker = Linker(frame, settings, log_level=None, validate_settings=False)
            else:
                summary |= report
                summary["trained_on"] = digest
                summary["model_used"] = "trained"
                skipped = len(report["training_rules_skipped"])
                summary["model_reason"] = f"trained on this load's {rows.num_rows} records" + (
                    f" ({skipped} of {len(linkage.TRAINING_RULES)} training passes skipped:"
                    " too few pairs for them)" if skipped else ""
                )
                floored = linkage.with_floors(linker.misc.save_model_to_json())
                linker = Linker(frame, floored, log_level=None, validate_settings=False)
            lap("train")
        tell("scoring pairs")
        model = linker.misc.save_model_to_json()
        names = [c["output_column_name"] for c in model["comparisons"]]
        weighs = _levels_by_weight(model)
        if weighs is not None:
            # Each level's weight names it, so Splink need not carry every compared column
            # of both records through its predictions (a third less work, far less memory).
            linker = Linker(frame, model | {"retain_matching_columns": False}, log_level=None,
                            validate_settings=False)
        predictions = linker.inference.predict(
            threshold_match_probability=threshold, warning_mode="never"
        )
        columns = ", ".join(f'"mw_{n}"' if weighs else f'"gamma_{n}", "mw_{n}"' for n in names)
        # Column names come from our own settings, never from input data.
        # At a million records most pairs above `threshold` are records of different people
        # with no relatives on record: only those that could still reach review leave DuckDB.
        keep = ""
        if related is not None:
            kin = pa.table({"unique_id": pa.array(sorted(set(related)), pa.string())})
            db_api.duckdb_con.register("famgraph_related", kin)
            keep = (
                f" WHERE match_probability >= {float(unrelated_threshold)!r}"  # noqa: S608
                " OR (unique_id_l IN (SELECT unique_id FROM famgraph_related)"
                " AND unique_id_r IN (SELECT unique_id FROM famgraph_related))"
            )
        # Column names and numbers come from our own settings, never from input data.
        query = (
            f"SELECT unique_id_l, unique_id_r, match_weight, match_probability, {columns}"  # noqa: S608
            f" FROM {{this}}{keep} ORDER BY unique_id_l, unique_id_r"
        )
        result: Any = predictions.query_sql(query).as_pyarrow_table()  # type: ignore[no-untyped-call]
        # DuckDB's memory (up to its cap) is let go before the pairs become Python objects,
        # so the two never peak together.
        db_api.duckdb_con.close()
        lap("predict")
        labels = _labels(model)
        # Without term frequencies a level's weight is the same for every pair, so pairs
        # with the same levels share one tuple of evidence, and every pair's record keys are
        # the rows' own strings: at a million records the pairs number millions, and an
        # object per pair and field, or a fresh string per key, would dominate memory.
        evidence: dict[tuple[Any, ...], tuple[FieldWeight, ...]] = {}
        own_key = {key: key for key in rows.column("unique_id").to_pylist()}

        def fields_of(levels: tuple[Any, ...]) -> tuple[FieldWeight, ...]:
            if weighs is not None:
                levels_with = [(_nearest(weighs[n], w), w) for n, w in zip(names, levels,
                                                                          strict=True)]
            else:
                levels_with = list(zip(levels[::2], levels[1::2], strict=True))
            found = evidence[levels] = tuple(
                FieldWeight(name, labels[name].get(int(gamma), "?"), float(weight))
                for name, (gamma, weight) in zip(names, levels_with, strict=True)
            )
            return found

        kinds = ("mw",) if weighs is not None else ("gamma", "mw")
        pairs: list[ScoredPair] = []
        append, known = pairs.append, evidence.get
        # Pairs at the same levels have the same weight and probability: one float object
        # for each value, not two per pair (some 300 MB at a million records).
        floats: dict[float, float] = {}
        number = floats.setdefault
        with collector_paused():
            # A batch at a time, so the pairs never exist as one list of Python dicts as well.
            for batch in result.to_batches(max_chunksize=100_000):
                columns_of = batch.to_pydict()
                levels_of = list(zip(*(columns_of[f"{kind}_{n}"] for n in names
                                       for kind in kinds), strict=True))
                for left, right, weight, probability, levels in zip(
                    columns_of["unique_id_l"],
                    columns_of["unique_id_r"],
                    columns_of["match_weight"],
                    columns_of["match_probability"],
                    levels_of,
                    strict=True,
                ):
                    a, b = (left, right) if left <= right else (right, left)
                    append(ScoredPair(own_key[a], own_key[b], number(weight, weight),
                                      number(probability, probability),
                                      known(levels) or fields_of(levels)))
        del result
        lap("pairs")
        summary["probability_two_random_records_match"] = model[
            "probability_two_random_records_match"
        ]
        summary["pairs_scored"] = len(pairs)
        summary["seconds"] = seconds
        summary["cpu_seconds"] = cpu_seconds
        return Scoring(pairs, model, summary)
    finally:
        shutil.rmtree(spill, ignore_errors=True)

