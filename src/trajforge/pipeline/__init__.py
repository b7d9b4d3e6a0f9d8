"""The pipeline: the stage protocol, the stage runner, registries and plugin loading."""
