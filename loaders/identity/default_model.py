"""famgraph's default linkage model: Splink parameters trained on the synthetic borough.

A load whose own records cannot train a model (a 903 return alone, one system with no
identifiers, too few pairs for a training pass) and whose store holds no model yet scores
with these parameters instead (docs/identity.md, "When training cannot run").

Made by::

    .venv/bin/python -m loaders.identity.default_model

which generates the synthetic borough (`PEOPLE` people, seed `SEED`, extract date `TODAY`),
loads every system folder into a throwaway store with the ordinary `SplinkResolver` (full
training: u from 2 million random pairs, EM on the training rules in `settings.py`), and
writes the trained model's Splink JSON, with a note of how it was made, to
`default_model.json` beside this file. The same arguments write the same file.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parent / "default_model.json"
PEOPLE = 3_000
SEED = 7
TODAY = date(2026, 11, 23)


@cache
def _stored() -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found


def parameters() -> dict[str, Any] | None:
    """The shipped Splink model JSON, or None when the file is missing or unreadable."""
    found = _stored()
    if found is None or "model" not in found:
        return None
    copy: dict[str, Any] = json.loads(json.dumps(found["model"]))  # callers may change it
    return copy


def made() -> dict[str, Any]:
    """How the shipped model was made (generator arguments, records, training)."""
    found = _stored()
    return dict(found.get("made", {})) if found else {}


def _rounded(value: Any) -> Any:
    """Every float to 10 significant digits: DuckDB's parallel sums differ in the last
    digits from run to run, so the same arguments write the same file."""
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def build(people: int = PEOPLE, seed: int = SEED, out: Path = PATH) -> dict[str, Any]:
    """Train on a fresh synthetic borough and write the model JSON to `out`."""
    from graph.embedded import EmbeddedStore
    from loaders.pipeline import load_extract
    from loaders.synthetic.borough import generate_borough

    with tempfile.TemporaryDirectory(prefix="famgraph-default-model-") as folder:
        root = Path(folder)
        summary = generate_borough(people=people, seed=seed, out=root / "extracts", today=TODAY)
        paths = [root / "extracts" / system for system in sorted(summary.records_by_system)]
        store = EmbeddedStore(root / "store")
        try:
            log = load_extract(store, paths, today=TODAY)
            model = store.linkage_models()[-1]
        finally:
            store.close()
    info = json.loads(model.summary)
    if not info.get("trained"):
        raise SystemExit(f"the borough did not train a model: {info.get('model_reason')}")
    parameters = _rounded(json.loads(model.parameters))
    parameters.pop("linker_uid", None)  # Splink's random id of the linker that trained it
    document = {
        "made": {
            "by": "python -m loaders.identity.default_model",
            "generator": {"people": people, "seed": seed, "today": TODAY.isoformat()},
            "records": model.records,
            "loaded": log.loaded,
            "training_rules_skipped": info.get("training_rules_skipped", []),
            "probability_two_random_records_match":
                _rounded(info.get("probability_two_random_records_match")),
        },
        "model": parameters,
    }
    out.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    _stored.cache_clear()
    return document


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    people = int(args[0]) if args else PEOPLE
    document = build(people=people)
    print(f"wrote {PATH} ({document['made']['records']} records)")


if __name__ == "__main__":
    main()
