"""Fetch the browser assets pages need into viz/static/vendor, so nothing loads from a CDN.

GraphiQL and React, GOV.UK Frontend for the pages, and axe-core for the accessibility
tests, are fetched once as npm tarballs (`npm pack`, no install scripts run). The
genogram's own script (viz/static/famgraph-genogram.js) needs nothing vendored.

GOV.UK Frontend's compiled CSS points at `/assets/...`; it is rewritten to the files
beside it (vendor/govuk/assets/), and its @font-face rules are taken out: the GDS
Transport typeface is licensed only for services on GOV.UK, which a council's famgraph
is not, so the pages fall back to Arial as GOV.UK Frontend's own font stack says.
"""

from __future__ import annotations

import re
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
    # A name ending in "/" copies that folder of the package.
    "govuk-frontend@6.6.0": {"dist/govuk/govuk-frontend.min.css": "govuk/govuk-frontend.min.css",
                             "dist/govuk/govuk-frontend.min.js": "govuk/govuk-frontend.min.js",
                             "dist/govuk/assets/": "govuk/assets/"},
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
                    if inside.endswith("/"):
                        copy_folder(archive, f"package/{inside}", VENDOR / out)
                        continue
                    member = archive.extractfile(f"package/{inside}")
                    assert member is not None, f"{tarball} has no {inside}"
                    (VENDOR / out).parent.mkdir(parents=True, exist_ok=True)
                    data = member.read()
                    if out == "govuk/govuk-frontend.min.css":
                        data = govuk_css(data.decode()).encode()
                    (VENDOR / out).write_bytes(data)
    return 0


def copy_folder(archive: tarfile.TarFile, prefix: str, to: Path) -> None:
    """Every regular file under `prefix` in the tarball, to the same place under `to`."""
    found = False
    for info in archive.getmembers():
        if not info.isfile() or not info.name.startswith(prefix):
            continue
        relative = Path(info.name[len(prefix):])
        if relative.is_absolute() or ".." in relative.parts:
            continue
        member = archive.extractfile(info)
        assert member is not None
        (to / relative).parent.mkdir(parents=True, exist_ok=True)
        (to / relative).write_bytes(member.read())
        found = True
    assert found, f"no files under {prefix}"


def govuk_css(css: str) -> str:
    """GOV.UK Frontend's CSS with its asset paths made relative and no GDS Transport."""
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
    return css.replace("url(/assets/", "url(assets/")


if __name__ == "__main__":
    raise SystemExit(main())
