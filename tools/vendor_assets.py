"""Fetch the browser assets pages need into viz/static/vendor, so nothing loads from a CDN.

GraphiQL and React, and axe-core for the accessibility tests, are fetched once as npm
tarballs (`npm pack`, no install scripts run). The genogram's own script
(viz/static/famgraph-genogram.js) needs nothing vendored.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "viz" / "static" / "vendor"

# npm package -> {file inside the package: name under vendor/}
NPM_FILES = {
    "react@18.2.0": {"umd/react.production.min.js": "react.production.min.js"},
    "react-dom@18.2.0": {"umd/react-dom.production.min.js": "react-dom.production.min.js"},
    "js-cookie@3.0.5": {"dist/js.cookie.min.js": "js.cookie.min.js"},
    "graphiql@3.8.3": {"graphiql.min.js": "graphiql.min.js",
                       "graphiql.min.css": "graphiql.min.css"},
    "@graphiql/plugin-explorer@1.0.2": {"dist/index.umd.js": "plugin-explorer.umd.js",
                                        "dist/style.css": "plugin-explorer.css"},
    # Only the browser tests load it (tests/test_genogram_pages.py); no page does.
    "axe-core@4.10.3": {"axe.min.js": "axe.min.js"},
}


def main() -> int:
    VENDOR.mkdir(parents=True, exist_ok=True)
    wanted = {pkg: files for pkg, files in NPM_FILES.items()
              if not all((VENDOR / out).exists() for out in files.values())}
    if not wanted:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            ["npm", "pack", "--silent", "--pack-destination", tmp, *wanted],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            print(f"vendor_assets: npm pack failed: {result.stderr.strip()[:300]}",
                  file=sys.stderr)
            return 1
        tarballs = result.stdout.split()
        for (_, files), tarball in zip(wanted.items(), tarballs, strict=True):
            with tarfile.open(Path(tmp) / tarball) as archive:
                for inside, out in files.items():
                    member = archive.extractfile(f"package/{inside}")
                    assert member is not None, f"{tarball} has no {inside}"
                    (VENDOR / out).write_bytes(member.read())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
