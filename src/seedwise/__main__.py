"""``python -m seedwise`` is the same command as ``seedwise``."""

from seedwise.cli import run

if __name__ == "__main__":
    run()
