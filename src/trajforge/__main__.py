"""``python -m trajforge`` runs the command-line interface."""

from trajforge.cli import main

main()
