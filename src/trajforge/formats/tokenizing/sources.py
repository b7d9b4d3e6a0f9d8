"""Where a tokenizer and its chat template come from: a local Hugging Face tokenizer directory,
or a GGUF model file (llama.cpp is the reference tokenizer of GGUF). Nothing is downloaded.

- A directory holds ``tokenizer.json`` (read with ``tokenizers``) and the template in
  ``chat_template.jinja`` or in ``tokenizer_config.json``'s ``chat_template`` (a string, or a
  list of named templates: ``tool_use`` is taken where there is one, else ``default``); the
  config's ``*_token`` entries (``bos_token``, ``eos_token``...) are passed to the template.
- A ``.gguf`` file is opened with llama-cpp-python's vocabulary alone (no weights are loaded);
  its metadata ``tokenizer.chat_template`` is the template, its BOS and EOS tokens the variables.

Texts are encoded with special tokens parsed (``<|im_end|>`` is one token) and without the BOS
or EOS a tokenizer would add on its own: the template writes those. A text cut into segments is
encoded segment by segment, which needs a tokenizer that gives each segment back as it was:
tokenizers that put a space before every text (SentencePiece's prefix space) are refused.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from trajforge.errors import ConfigError
from trajforge.formats.tokenizing.pieces import (
    Cut,
    Encoded,
    apart,
    joins_like_apart,
    marked,
    markers,
)

TOKENIZER_FILE: Final = "tokenizer.json"
CONFIG_FILE: Final = "tokenizer_config.json"
TEMPLATE_FILE: Final = "chat_template.jinja"
GGUF_SUFFIX: Final = ".gguf"
#: Texts every tokenizer must give back unchanged when encoded and decoded alone.
_ROUND_TRIP: Final = ("Hello", " world", "\n\n{", "x y")


class Tokenizer(Protocol):
    """What the tokenized export needs of a tokenizer."""

    origin: str
    """The file or directory it came from, for messages."""
    chat_template: str | None
    """The template it ships, if any."""
    variables: dict[str, str]
    """The special-token strings templates use (``bos_token``, ``eos_token``...)."""
    end_tokens: frozenset[str]
    """Special tokens a turn may end with (EOS, end-of-turn): whitespace after them at the end
    of a turn is not trained."""
    raw_tokens: tuple[str, ...]
    """The tokens matched in the raw text before anything else (none where unknown)."""
    plain_special: tuple[str, ...]
    """Those of them that take nothing around them (see
    :mod:`trajforge.formats.tokenizing.preambles`)."""

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """The token ids of each text."""
        ...

    def encode_cut(self, texts: Sequence[Cut]) -> list[Encoded]:
        """Each text encoded piece by piece, cut at its offsets (see
        :mod:`trajforge.formats.tokenizing.pieces`)."""
        ...

    def decode(self, ids: Sequence[int]) -> str:
        """The text of token ids, special tokens included."""
        ...


def load_tokenizer(path: str) -> Tokenizer:
    """The tokenizer at ``path``: a tokenizer directory or a ``.gguf`` file (ConfigError naming
    the path and what is missing otherwise)."""
    source = Path(path)
    if source.is_dir():
        tokenizer: Tokenizer = HuggingFaceTokenizer(source)
    elif source.is_file() and source.suffix.lower() == GGUF_SUFFIX:
        tokenizer = GgufTokenizer(source)
    else:
        raise ConfigError(
            "no tokenizer here" if source.exists() else "no such file or directory",
            file=path,
            path="tokenizer",
            hint=f"give a directory with {TOKENIZER_FILE} and {CONFIG_FILE}, or a {GGUF_SUFFIX} "
            "model file",
        )
    _check_round_trip(tokenizer)
    return tokenizer


def _check_round_trip(tokenizer: Tokenizer) -> None:
    for text, ids in zip(_ROUND_TRIP, tokenizer.encode_batch(_ROUND_TRIP), strict=True):
        if tokenizer.decode(ids) != text:
            raise ConfigError(
                f"the tokenizer does not give {text!r} back unchanged "
                f"(it decodes to {tokenizer.decode(ids)!r})",
                file=tokenizer.origin,
                path="tokenizer",
                hint="tokenizers that add a prefix space or normalise text are not supported",
            )


# ---------------------------------------------------------------- Hugging Face directories


class HuggingFaceTokenizer:
    """A ``tokenizers`` tokenizer and the template of a Hugging Face tokenizer directory."""

    def __init__(self, directory: Path) -> None:
        try:
            from tokenizers import Tokenizer as FastTokenizer  # noqa: PLC0415 - an extra
        except ImportError:
            raise _missing("tokenizers", "trajforge[tokenize]") from None
        self.origin = str(directory)
        file = directory / TOKENIZER_FILE
        if not file.is_file():
            raise ConfigError(
                f"no {TOKENIZER_FILE} in the tokenizer directory",
                file=self.origin,
                path="tokenizer",
                hint="save the tokenizer with save_pretrained (a fast tokenizer)",
            )
        try:
            self._tokenizer = FastTokenizer.from_file(str(file))
        except Exception as exc:  # tokenizers raises plain Exceptions on bad files
            raise ConfigError(
                f"not a tokenizer file: {exc}", file=str(file), path="tokenizer"
            ) from None
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        config = _read_config(directory / CONFIG_FILE)
        self.chat_template = _template_of(directory, config)
        self.variables = _token_strings(config)
        added = self._tokenizer.get_added_tokens_decoder().values()
        self.end_tokens = frozenset(token.content for token in added if token.special)
        self._marks = markers(self._tokenizer)
        self._joined = joins_like_apart(self._tokenizer, self._marks, self.encode_batch)
        self.raw_tokens = tuple(token.content for token in added if not token.normalized)
        self.plain_special = tuple(content for content, _ in self._marks)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """The token ids of each text (encoded in parallel by ``tokenizers``)."""
        encodings = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        return [encoding.ids for encoding in encodings]

    def encode_cut(self, texts: Sequence[Cut]) -> list[Encoded]:
        """Each text encoded piece by piece, in one encoding with markers (see
        :mod:`trajforge.formats.tokenizing.pieces`)."""
        return marked(self._tokenizer, self._marks, texts, self.encode_batch, joined=self._joined)

    def decode(self, ids: Sequence[int]) -> str:
        """The text of token ids, special tokens included."""
        return self._tokenizer.decode(list(ids), skip_special_tokens=False)


def _read_config(file: Path) -> dict[str, Any]:
    if not file.is_file():
        return {}
    try:
        config = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"cannot read the tokenizer config: {exc}", file=str(file), path="tokenizer"
        ) from None
    if not isinstance(config, dict):
        raise ConfigError("the tokenizer config is not a JSON object", file=str(file))
    return config


def _template_of(directory: Path, config: dict[str, Any]) -> str | None:
    """The directory's chat template: ``chat_template.jinja``, else the config's."""
    file = directory / TEMPLATE_FILE
    if file.is_file():
        return file.read_text(encoding="utf-8")
    template = config.get("chat_template")
    if isinstance(template, list):
        named = {
            entry.get("name"): entry.get("template")
            for entry in template
            if isinstance(entry, dict)
        }
        template = named.get("tool_use") or named.get("default")
    if template is not None and not isinstance(template, str):
        raise ConfigError(
            "chat_template is neither a string nor a list of named templates",
            file=str(directory / CONFIG_FILE),
            path="chat_template",
        )
    return template


def _token_strings(config: dict[str, Any]) -> dict[str, str]:
    """``bos_token``, ``eos_token``... as strings (the config may hold ``{"content": ...}``)."""
    strings = {}
    for key, value in config.items():
        if not key.endswith("_token"):
            continue
        content = value.get("content") if isinstance(value, dict) else value
        if isinstance(content, str):
            strings[key] = content
    return strings


# ---------------------------------------------------------------- GGUF files


class GgufTokenizer:
    """The vocabulary of a GGUF model file, tokenized by llama.cpp (no weights are loaded)."""

    def __init__(self, file: Path) -> None:
        try:
            import llama_cpp  # noqa: PLC0415 - an extra (llm-test)
        except ImportError:
            raise _missing("llama-cpp-python", "trajforge[llm-test]") from None
        self._llama = llama_cpp
        self.origin = str(file)
        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        with _quiet_llama():
            model = llama_cpp.llama_model_load_from_file(str(file).encode(), params)
        if not model:
            raise ConfigError(
                "llama.cpp cannot read this GGUF file",
                file=self.origin,
                path="tokenizer",
                hint="is it a complete GGUF model file?",
            )
        self._finalizer = weakref.finalize(self, llama_cpp.llama_model_free, model)
        self._model = model
        self._vocab = llama_cpp.llama_model_get_vocab(model)
        self.chat_template = self._metadata("tokenizer.chat_template")
        bos, eos = llama_cpp.llama_vocab_bos(self._vocab), llama_cpp.llama_vocab_eos(self._vocab)
        self.variables = {
            name: self.decode([token])
            for name, token in (("bos_token", bos), ("eos_token", eos))
            if token >= 0
        }
        ends, raw, plain = self._special_tokens(llama_cpp.llama_vocab_n_tokens(self._vocab))
        self.end_tokens = frozenset(ends)
        self.raw_tokens, self.plain_special = tuple(raw), tuple(plain)

    def _special_tokens(self, count: int) -> tuple[list[str], list[str], list[str]]:
        """In one pass over the vocabulary: the end-of-generation tokens (EOS, end of turn...),
        the control and user-defined ones (llama.cpp splits them off the raw text first), and
        the control tokens among those that take nothing around them."""
        llama, vocab = self._llama, self._vocab
        split_off = llama.LLAMA_TOKEN_ATTR_CONTROL | llama.LLAMA_TOKEN_ATTR_USER_DEFINED
        around = (
            llama.LLAMA_TOKEN_ATTR_LSTRIP
            | llama.LLAMA_TOKEN_ATTR_RSTRIP
            | llama.LLAMA_TOKEN_ATTR_SINGLE_WORD
            | llama.LLAMA_TOKEN_ATTR_NORMALIZED
        )
        ends, raw, plain = [], [], []
        for token in range(count):
            if llama.llama_vocab_is_eog(vocab, token):
                ends.append(self.decode([token]))
            attributes = llama.llama_vocab_get_attr(vocab, token)
            if attributes & split_off:
                raw.append(self.decode([token]))
                if attributes & llama.LLAMA_TOKEN_ATTR_CONTROL and not attributes & around:
                    plain.append(raw[-1])
        return ends, raw, plain

    def _metadata(self, key: str) -> str | None:
        size = self._llama.llama_model_meta_val_str(self._model, key.encode(), None, 0)
        if size < 0:
            return None
        buffer = ctypes.create_string_buffer(size + 1)
        self._llama.llama_model_meta_val_str(self._model, key.encode(), buffer, size + 1)
        return buffer.value.decode("utf-8")

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """The token ids of each text."""
        return [self._encode(text.encode("utf-8")) for text in texts]

    def encode_cut(self, texts: Sequence[Cut]) -> list[Encoded]:
        """Each text encoded piece by piece, each piece as a text of its own."""
        return apart(self.encode_batch, texts)

    def _encode(self, data: bytes) -> list[int]:
        capacity = len(data) + 8  # a token holds at least one byte
        tokens = (self._llama.llama_token * capacity)()
        count = self._llama.llama_tokenize(
            self._vocab, data, len(data), tokens, capacity, False, True
        )
        if count < 0:  # pragma: no cover - more tokens than bytes: not for BPE vocabularies
            capacity = -count
            tokens = (self._llama.llama_token * capacity)()
            count = self._llama.llama_tokenize(
                self._vocab, data, len(data), tokens, capacity, False, True
            )
        return list(tokens[:count])

    def decode(self, ids: Sequence[int]) -> str:
        """The text of token ids, special tokens included."""
        return b"".join(self._piece(token) for token in ids).decode("utf-8", errors="replace")

    def _piece(self, token: int, size: int = 64) -> bytes:
        buffer = ctypes.create_string_buffer(size)
        length = self._llama.llama_token_to_piece(self._vocab, token, buffer, size, 0, True)
        if length < 0:  # the buffer was too small: -length is what the piece needs
            return self._piece(token, -length)
        return buffer.raw[:length]


@contextlib.contextmanager
def _quiet_llama() -> Iterator[None]:
    """llama.cpp logs through llama-cpp-python's logger: errors only while loading."""
    logger = logging.getLogger("llama-cpp-python")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _missing(package: str, extra: str) -> ConfigError:
    return ConfigError(
        f"this tokenizer needs {package}, which is not installed",
        path="tokenizer",
        hint=f"pip install '{extra}'",
    )
