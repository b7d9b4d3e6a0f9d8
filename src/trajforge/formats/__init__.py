"""Record formats: trajforge's own files and external formats, each a registered reader and/or
writer (see :mod:`trajforge.formats.registry`)."""
