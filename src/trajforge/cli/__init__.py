"""The ``trajforge`` command: one module per command group, thin over library calls.

Command modules import their heavy dependencies inside the commands, so that ``--help`` and
``--version`` start fast.
"""

from trajforge.cli.app import main

__all__ = ["main"]
