"""`python -m server.audit_writer LOG CHECKPOINT_ROWS`: the audit's writer process.

The server starts it (`server.audit_pipe.WriterPipe`) and ends it by closing its stdin;
it ignores the interrupt and terminate signals sent to the server's process group, so
it always commits what it has read before it stops. It is the one process of a
running server that reads the signing key, and it says so on stderr when that key
could be changed from here (docs/audit.md says how to keep it apart).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from server.audit import AuditLog
from server.audit_pipe import serve


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log = AuditLog(Path(argv[0]), int(argv[1]))
    exposed = log.key_exposure()
    if exposed is not None:
        # A warning, not a refusal: one user runs everything in development and tests.
        sys.stderr.write(f"famgraph audit writer: warning: {exposed}: the audit signing key"
                         f" should belong to another user, in a folder this one cannot"
                         f" write (docs/audit.md)\n")
    try:
        serve(log.commit_texts)
    finally:
        log.close()


if __name__ == "__main__":
    main(sys.argv[1:])
