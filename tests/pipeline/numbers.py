"""A module the registry tests load lazily."""

ANSWER = 42
