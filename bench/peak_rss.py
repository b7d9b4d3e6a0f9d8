"""Run the trajforge CLI in this process and print its peak RSS (VmHWM, MB) to stderr last.

``VmHWM`` belongs to this process image alone, unlike the child rusage of the parent, which on
Linux also counts the parent's memory at fork time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trajforge.cli import main


def peak_mb() -> float:
    """This process's peak resident set size in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    sys.argv = ["trajforge", *sys.argv[1:]]
    try:
        main()
    finally:
        sys.stderr.write(f"\nPEAK_RSS_MB={peak_mb():.1f}\n")
