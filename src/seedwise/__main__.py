"""``python -m seedwise`` is the same command as ``seedwise``.

The command line takes a second or more to load on a busy machine. Ctrl-C
or SIGTERM meanwhile ends it as at any later moment before a study begins:
one line, ``seedwise: interrupted``, and exit code 130, not a traceback of
the import that was cut short or a silent death by SIGTERM.
"""

from __future__ import annotations

import signal
import sys


def main() -> None:
    """Entry point of ``seedwise`` and ``python -m seedwise``: load the command line, run it."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        from seedwise.cli import run
    except KeyboardInterrupt:
        from seedwise.errors import EXIT_INTERRUPTED

        print("seedwise: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    run()


if __name__ == "__main__":
    main()
