"""The generated parts of ``docs/``: the CLI reference (from the commands), the format reference
(from the record schema and the format registry) and the cookbook (from ``examples/``).
``python -m trajforge.reference`` writes them; ``--check`` says which are out of date."""
