"""Chat templates render as transformers renders them, in a sandbox that still holds."""

from __future__ import annotations

from collections.abc import Callable

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from trajforge.errors import ConversionError
from trajforge.formats.tokenizing.template import ChatTemplate


def render(source: str, messages: list[dict[str, object]] | None = None) -> str:
    template = ChatTemplate(source, origin="test.jinja", variables={"eos_token": "</s>"})
    return template.render(messages or [], None, add_generation_prompt=False)


def test_the_globals_filters_and_tags_transformers_gives_templates() -> None:
    assert render("{{ strftime_now('%d %b %Y') }}") == "01 Jan 2025"  # fixed: same output
    assert render("{{ eos_token }}") == "</s>"
    assert render("{% generation %}trained{% endgeneration %} text") == "trained text"
    assert (
        render(
            "{% for m in messages %}{% if loop.first %}{% continue %}{% endif %}"
            "{{ m.content }}{% endfor %}",
            [{"content": "a"}, {"content": "b"}],
        )
        == "b"
    )
    with pytest.raises(ConversionError, match="TemplateError: no system role"):
        render("{{ raise_exception('no system role') }}")


def test_message_fields_and_loop_counters_read_as_jinja_reads_them() -> None:
    messages: list[dict[str, object]] = [{"role": "user", "items": "a key", "n": 1}]
    text = render(
        "{% for m in messages %}{{ m.role }} {{ m['role'] }} {{ m.missing is defined }} "
        "{{ m.items is string }} {{ m.n + loop.index0 }} {{ loop.last }}{% endfor %}",
        messages,
    )
    # a key named like a dict method loses to the method, as in jinja
    assert text == "user user False False 1 True"


def test_tojson_keeps_text_as_it_is_and_each_call_its_own_options() -> None:
    value = {"city": "Zürich", "days": [1, 2]}
    messages = [{"v": value}]
    text = render(
        "{% for m in messages %}{{ m.v | tojson }}|{{ m.v | tojson(indent=1) }}|"
        "{{ m.v | tojson(separators=[',', ':']) }}|{{ m.v | tojson }}{% endfor %}",
        messages,
    )
    compact = '{"city": "Zürich", "days": [1, 2]}'
    tight = compact.replace(", ", ",").replace(": ", ":")
    indented = '{\n "city": "Zürich",\n "days": [\n  1,\n  2\n ]\n}'
    assert text == f"{compact}|{indented}|{tight}|{compact}"


def outcome(render_with: Callable[[], str]) -> str:
    """The text rendered, or the error's type and message."""
    try:
        return render_with()
    except ConversionError as exc:
        return exc.message.split(" failed: ", 1)[1]
    except jinja2.TemplateError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize(
    "source",
    [
        "{{ messages.__class__.__mro__ }}",
        "{% for m in messages %}{{ m.__class__.__subclasses__() }}{% endfor %}",
        "{% for m in messages %}[{{ loop.__class__ }}]{% endfor %}",
        "{% for m in messages %}{{ m.update({'role': 'x'}) }}{% endfor %}",
        "{% for m in messages %}{{ m.pop('role') }}{% endfor %}",
        "{% for m in messages %}{{ loop._after }}{{ m._hidden }}{{ m.keys() | list }}{% endfor %}",
        "{% for m in messages %}{{ m.get('role') }} {{ loop.cycle('a', 'b') }}{% endfor %}",
    ],
)
def test_the_sandbox_answers_as_jinja_s_own(source: str) -> None:
    """The direct lookups give what the stock immutable sandbox gives, unsafe access refused."""
    messages = [{"role": "user", "_hidden": "h"}]
    stock = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    ).from_string(source)
    ours = outcome(lambda: render(source, messages))
    theirs = outcome(lambda: stock.render(messages=messages, tools=None))
    assert ours == theirs
    assert "'x'" not in ours
