"""The ``tokenized`` export: trajectories as token ids with an assistant-only loss mask, in Parquet.

Each trajectory's OpenAI messages and tools are rendered with a real chat template, that of a
local Hugging Face tokenizer directory or of a GGUF model file (see
:mod:`trajforge.formats.tokenizing.sources`), and tokenized. The loss applies to the assistant
turns as the template renders them (content, tool calls, the end-of-turn token), not to their
headers (see :mod:`trajforge.formats.tokenizing.turns`); with ``mask_mistakes`` the turns of
steps labelled as mistakes (:mod:`trajforge.formats.mistakes`, by the ``export`` options) stay
in the text, untrained.
Texts longer than ``max_length`` are dropped, truncated or split at step boundaries
(:mod:`trajforge.formats.tokenizing.windows`); a sample with nothing to train is left out. Rows:
see :mod:`trajforge.formats.tokenizing.parquet`; the result's details count the texts left out,
the tokens written and the trained tokens.

Writer options (``export tokenized IN OUT --tokenizer PATH --max-length 4096``, or
``convert --to tokenized -W tokenizer=PATH -W max_length=4096``):

- ``tokenizer``: a tokenizer directory or a ``.gguf`` file (required);
- ``chat_template``: a Jinja file to use instead of the tokenizer's template;
- ``max_length``: the most tokens a sample may have (no limit by default);
- ``overflow``: ``drop`` (default), ``truncate`` or ``split``;
- ``mask_mistakes``: leave mistaken steps untrained (default true).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Final

import msgspec

from trajforge.errors import ConfigError, InputError
from trajforge.formats.base import Format
from trajforge.formats.tokenizing.windows import Overflow
from trajforge.io import WriteResult
from trajforge.io._oserror import write_error
from trajforge.schema import Trajectory
from trajforge.schema.codec import schema_error

#: Options commands pass to every writer: ``export`` (which step labels mark a mistake) and
#: ``on_error`` (for trajectories the template cannot render) apply here, ``shard_size`` not.
COMMON_OPTIONS: Final = frozenset({"shard_size", "export", "on_error"})
METADATA_KEY: Final = "trajforge.tokenized"


class TokenizedOptions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The options of the tokenized writer (see the module)."""

    tokenizer: str
    chat_template: str | None = None
    max_length: Annotated[int, msgspec.Meta(ge=1)] | None = None
    overflow: Overflow = "drop"
    mask_mistakes: bool = True


OPTION_NAMES: Final = TokenizedOptions.__struct_fields__


def tokenized_options(options: Mapping[str, Any]) -> TokenizedOptions:
    """The writer's options from what a command passed (text values are converted); a
    ConfigError naming the option otherwise."""
    ours = {key: value for key, value in options.items() if key not in COMMON_OPTIONS}
    try:
        return msgspec.convert(ours, TokenizedOptions, strict=False)
    except msgspec.ValidationError as exc:
        error = schema_error(exc)
        raise ConfigError(
            error.message,
            path=error.path,
            hint="the tokenized writer's options: tokenizer, chat_template, max_length, "
            "overflow (drop, truncate or split), mask_mistakes",
        ) from None


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """Write the samples of ``trajectories`` to the Parquet file ``dest`` (see the module)."""
    chosen = tokenized_options(options)
    path = _destination(dest)
    try:
        from trajforge.formats.tokenizing.export import Tokenization  # noqa: PLC0415 - an extra
        from trajforge.formats.tokenizing.parquet import SampleWriter  # noqa: PLC0415
    except ImportError as exc:
        raise ConfigError(
            f"the tokenized export needs {exc.name}, which is not installed",
            hint="pip install 'trajforge[tokenize]'",
        ) from None
    tokenization = Tokenization(chosen, options)
    metadata = {METADATA_KEY: json.dumps(msgspec.to_builtins(chosen))}
    with SampleWriter(path, metadata) as writer:
        for trajectory_id, number, sample in tokenization.samples(trajectories):
            writer.write(trajectory_id, number, sample)
        details = dict(tokenization.details)
        if writer.count == 0 and any(reason.startswith("texts left out") for reason in details):
            why = ", ".join(f"{reason}: {n:,}" for reason, n in details.items())
            raise InputError(
                f"no sample ({why})",
                hint="raise max_length or choose overflow=split; mistaken steps are not trained "
                "(mask_mistakes=false trains them)",
            )
        if writer.count:
            details |= {"tokens": writer.tokens, "trained tokens": writer.trained}
    return WriteResult(writer.count, (path,), details=details)


def _destination(dest: str) -> Path:
    path = Path(dest)
    if path.suffix.lower() != ".parquet":
        raise ConfigError(
            "the tokenized export is one Parquet file",
            file=dest,
            hint="name the output *.parquet",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(path, exc) from exc
    return path


FORMAT = Format(
    name="tokenized",
    description="token ids with an assistant-only loss mask, by a chat template (Parquet)",
    suffixes=(".parquet",),
    write=write,
    writer_options=OPTION_NAMES,
)
