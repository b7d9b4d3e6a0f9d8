"""trajforge: simulate, generate, verify, grade, curate and export agent trajectories."""

__version__ = "0.1.0"
