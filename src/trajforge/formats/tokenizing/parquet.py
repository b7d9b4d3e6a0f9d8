"""Tokenized samples as Parquet, a row group at a time, published atomically.

Columns: ``trajectory_id``, ``sample`` (its number within the trajectory), ``input_ids``,
``assistant_masks`` (1 where the loss applies: the name transformers and TRL use) and ``labels``
(the ids, and -100 where masked). The token columns are built from flat buffers, not Python
lists, so writing costs little beside tokenizing.
"""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from trajforge.formats.tokenizing.encode import IGNORED, Sample
from trajforge.io.parquet import ParquetFile

ROW_GROUP_SIZE: Final = 1000
SCHEMA: Final = pa.schema(
    [
        pa.field("trajectory_id", pa.string()),
        pa.field("sample", pa.int32()),
        pa.field("input_ids", pa.list_(pa.int32())),
        pa.field("assistant_masks", pa.list_(pa.int8())),
        pa.field("labels", pa.list_(pa.int32())),
    ]
)


class SampleWriter(ParquetFile):
    """Write samples to ``path``; ``metadata`` goes into the Parquet schema (how they were
    made)."""

    def __init__(self, path: Path, metadata: dict[str, str]) -> None:
        self.count = 0
        #: Tokens written, and how many of them are trained.
        self.tokens = self.trained = 0
        self._ids: list[str] = []
        self._numbers: list[int] = []
        self._offsets = array("i", [0])
        self._tokens: array[int] = array("i")
        self._mask = bytearray()
        super().__init__(
            path,
            SCHEMA.with_metadata(metadata),
            compression="zstd",
            use_dictionary=False,  # token ids: dictionaries halve the writing speed to save ~20%
            write_statistics=["trajectory_id", "sample"],
        )

    def write(self, trajectory_id: str, number: int, sample: Sample) -> None:
        """Add one sample (a row group is written out when full)."""
        self._ids.append(trajectory_id)
        self._numbers.append(number)
        self._tokens.extend(sample.input_ids)
        self._mask.extend(sample.mask)
        self._offsets.append(len(self._tokens))
        self.count += 1
        self.tokens += len(sample.input_ids)
        self.trained += sample.mask.count(1)
        if len(self._ids) >= ROW_GROUP_SIZE:
            self._flush()

    def _flush(self) -> None:
        if not self._ids:
            return
        offsets = _buffer(pa.int32(), self._offsets)
        tokens, mask = _buffer(pa.int32(), self._tokens), _buffer(pa.int8(), self._mask)
        labels = labels_of(tokens, mask)
        table = pa.table(
            [
                pa.array(self._ids, pa.string()),
                pa.array(self._numbers, pa.int32()),
                pa.ListArray.from_arrays(offsets, tokens),
                pa.ListArray.from_arrays(offsets, mask),
                pa.ListArray.from_arrays(offsets, labels),
            ],
            schema=self._writer.schema,
        )
        self._write_table(table)
        self._ids, self._numbers = [], []
        self._offsets, self._tokens = array("i", [0]), array("i")
        self._mask = bytearray()


def labels_of(tokens: pa.Array, mask: pa.Array) -> pa.Array:
    """The labels of flat ``tokens``: each id where ``mask`` is set, :data:`IGNORED` elsewhere."""
    return pc.if_else(pc.not_equal(mask, 0), tokens, pa.scalar(IGNORED, pa.int32()))


def _buffer(kind: pa.DataType, values: array[int] | bytearray) -> pa.Array:
    """An Arrow array over the memory of ``values`` (native byte order: little-endian)."""
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])
