"""The pipeline config: what it accepts, and errors that name the file and the key path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Outcome
from tests.pipeline.test_run_pipeline import CONFIG
from trajforge.errors import ConfigError
from trajforge.pipeline.config import PipelineConfig, load_pipeline_config

GOOD = CONFIG  # generate, verify, grade with rollouts, curate (dedup), exports sft and dpo


def load(tmp_path: Path, text: str, *overrides: str) -> PipelineConfig:
    path = tmp_path / "pipe.toml"
    path.write_text(text, encoding="utf-8")
    return load_pipeline_config(path, list(overrides))


def refused(tmp_path: Path, text: str, *overrides: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, *overrides)
    return caught.value


def test_a_config_reads_into_its_stages(tmp_path: Path) -> None:
    config = load(tmp_path, GOOD)
    spec = config.spec
    assert spec.generate is not None
    assert spec.generate.mix[0].env == "support"
    assert spec.grade is not None
    assert spec.grade.rollouts == 1
    assert [e.folder for e in spec.export] == ["sft", "dpo"]
    assert config.curation is not None
    assert config.curation.seed == 3
    assert config.curation.tables == [("dedup", {"exact": True})]


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        (GOOD.replace("rollouts = 1", "rolouts = 1"), "grade", "unknown field 'rolouts'"),
        (GOOD.replace("rollouts = 1", "rollouts = -1"), "grade.rollouts", ">= 0"),
        (GOOD.replace('env = "support"', 'env = "nowhere"'), "generate.mix[0].env", "unknown"),
        (GOOD.replace('format = "dpo"', 'format = "nope"'), "export[1].format", "nope"),
        (GOOD.replace('format = "dpo"', 'format = "dpo"\nname = "sft"'), "export[1].name", "two"),
        (GOOD.replace("[curate.dedup]", "[curate.dedupe]"), "[curate.dedupe]", "unknown"),
        (GOOD.replace("exact = true", "exact = 3"), "[curate.dedup].exact", "expected"),
        (GOOD + '[source]\npath = "x"\n', None, "one only"),
    ],
)
def test_errors_name_the_file_and_the_key(
    tmp_path: Path, text: str, where: str | None, says: str
) -> None:
    error = refused(tmp_path, text)
    assert error.file == str(tmp_path / "pipe.toml")
    assert error.path == where
    assert says in error.message


def test_the_command_prints_a_located_error_without_a_traceback(
    tmp_path: Path, trajforge: Callable[..., Outcome]
) -> None:
    path = tmp_path / "pipe.toml"
    path.write_text(GOOD.replace("rollouts = 1", "rollouts = 'x'"), encoding="utf-8")
    result = trajforge("run", path, "--out", tmp_path / "out")
    assert result.code == 1
    assert f"error: {path}: grade.rollouts: expected" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_overrides_set_dotted_keys_with_toml_values(tmp_path: Path) -> None:
    overrides = ("grade.rollouts=3", "report.reference=ref.jsonl", "verify.skip=true")
    config = load(tmp_path, GOOD, *overrides)
    assert config.spec.grade is not None
    assert config.spec.grade.rollouts == 3
    assert config.spec.verify is not None
    assert config.spec.verify.skip
    assert config.spec.report is not None
    assert config.spec.report.reference == str(tmp_path / "ref.jsonl")
    assert refused(tmp_path, GOOD, "grade").path == "--set"
    assert refused(tmp_path, GOOD, "grade.rollouts.x=1").path == "--set grade.rollouts.x"


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "curation.toml").write_text("[dedup]\nexact = true\n", encoding="utf-8")
    text = '[source]\npath = "runs/x.jsonl"\n[curate]\nconfig = "curation.toml"\n'
    config = load(tmp_path, text)
    assert config.spec.source is not None
    assert config.spec.source.path == str(tmp_path / "runs/x.jsonl")
    assert config.curation is not None
    assert config.curation.file == str(tmp_path / "curation.toml")
    both = refused(tmp_path, text + "seed = 2\n")
    assert both.path == "curate.seed"


def test_an_import_names_a_readable_format(tmp_path: Path) -> None:
    error = refused(tmp_path, '[source]\npath = "a.json"\nimport = "no-such-format"\n')
    assert error.path == "source.import"
    config = load(tmp_path, '[source]\npath = "a.json"\nimport = "tau-bench"\n')
    assert config.spec.source is not None
    assert config.spec.source.import_ == "tau-bench"
