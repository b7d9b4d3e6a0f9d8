"""Curation: filters, deduplication, balancing, redaction, decontamination, audit sampling and
diversity/drift reports, each a registered curation step (see :mod:`trajforge.curate.step`)."""
