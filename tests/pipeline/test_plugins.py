"""The listing behind ``trajforge plugins``: every registry, every plugin, failures included."""

from __future__ import annotations

from trajforge.formats.registry import FORMATS
from trajforge.pipeline.plugins import REGISTRIES, PluginStatus, plugin_statuses, registries
from trajforge.pipeline.registry import Registry


def test_the_registries_that_exist_are_found() -> None:
    found = registries()
    assert found["formats"] is FORMATS
    assert set(found) <= set(REGISTRIES)


def test_a_plugin_that_fails_to_load_is_listed_with_its_error_and_the_rest_still_load() -> None:
    shapes = Registry(
        "shape",
        "trajforge.test-shapes",
        {"broken": "trajforge.no_such_module:SHAPE", "fine": "trajforge.formats.native:FORMAT"},
    )
    rows = plugin_statuses({"shapes": shapes, "formats": FORMATS})
    broken, fine, *formats = rows
    assert broken == PluginStatus("shapes", "broken", "built-in", broken.status)
    assert not broken.ok
    assert "shape 'broken' failed to load: ModuleNotFoundError" in broken.status
    assert fine.ok
    assert [(r.registry, r.name, r.ok) for r in formats] == [
        ("formats", name, True) for name in FORMATS.names()
    ]
