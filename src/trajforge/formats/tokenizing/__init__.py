"""What the ``tokenized`` export is made of: chat templates, tokenizer sources, trained turns and
the windows long trajectories are cut into (see :mod:`trajforge.formats.tokenized`)."""
