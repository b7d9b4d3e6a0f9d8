"""The human review workspace: a web app where people grade, correct, approve and demonstrate
trajectories (``trajforge review serve``), fed by ``review import`` and read back by
``review export``. Needs the ``review`` extra."""
