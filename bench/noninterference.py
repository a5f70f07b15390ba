"""The long run of the differential (noninterference) tests: many more pairs of stores.

`make test` draws a few pairs per viewer; this draws `--examples` pairs (default 200) for
every viewer, so a leak that only some values reveal has many more chances to show.

    python -m bench.noninterference [--examples N]
"""

from __future__ import annotations

import os
import sys

import pytest


def main(examples: int = 200) -> int:
    os.environ["FAMGRAPH_NONINTERFERENCE_EXAMPLES"] = str(examples)
    return int(pytest.main(["-q", "-p", "no:cacheprovider", "tests/test_noninterference.py"]))


if __name__ == "__main__":
    count = int(sys.argv[sys.argv.index("--examples") + 1]) if "--examples" in sys.argv else 200
    raise SystemExit(main(count))
