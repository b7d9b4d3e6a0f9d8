"""Whether a chat template renders each message where a prefix of the conversation would: the
static half of the single-pass render (:mod:`trajforge.formats.tokenizing.single_pass`).

A template is *message-local* when its syntax tree shows:

- exactly one loop over ``messages``, at the top level, plain (no ``else``, filter or
  recursion), and ``messages`` used nowhere else but as ``messages[i]`` (no slices, filters,
  tests, renaming, second loops: Qwen3's ``messages[::-1]`` is refused);
- in that loop, ``loop`` only read as ``first``, ``index``, ``index0``, ``previtem``, ``depth``
  and the look-ahead ``last`` and ``nextitem`` (not ``length``, ``revindex*``, ``cycle`` nor
  ``changed``), and no macro or call block defined inside it;
- ``add_generation_prompt`` read only after the loop, and after the loop no name but it, the
  template's constants (``bos_token``...) and the helpers ``raise_exception`` and
  ``strftime_now`` (so what follows the loop depends on the generation prompt flag alone);
- no ``cycler`` or ``joiner`` (objects that change from call to call).

Whether the iterations share state (a namespace attribute set in the loop or in a macro) is
told too: only iterations that share none may be rendered *blind* (as if each were the last).
What a template reads of the messages at run time is checked by the tape
(:mod:`trajforge.formats.tokenizing.tape`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Final

from jinja2 import nodes

MESSAGES: Final = "messages"
GENERATION_PROMPT: Final = "add_generation_prompt"
_LOOP_FIELDS: Final = frozenset(
    {"first", "index", "index0", "previtem", "depth", "depth0", "last", "nextitem"}
)
_HELPERS: Final = frozenset({GENERATION_PROMPT, "raise_exception", "strftime_now"})
_STATEFUL_OBJECTS: Final = frozenset({"cycler", "joiner"})


@dataclass(frozen=True, slots=True)
class Locality:
    """A message-local template; ``stateless``: its iterations share no state."""

    stateless: bool


def locality(tree: nodes.Template, constants: Collection[str]) -> Locality | None:
    """How ``tree`` (a parsed template whose globals are ``constants``) renders its messages;
    ``None`` where it is not message-local (see the module)."""
    loop = next((node for node in tree.body if isinstance(node, nodes.For) and _over(node)), None)
    if loop is None or loop.else_ or loop.test is not None or loop.recursive:
        return None
    after = tree.body[tree.body.index(loop) + 1 :]
    if not (
        _names_fit(tree, loop, after)
        and _loop_fields_fit(loop.body)
        and not any(loop.find_all((nodes.Macro, nodes.CallBlock)))
        and all(_loaded(node) <= _HELPERS | set(constants) for node in after)
    ):
        return None
    shared = [loop, *tree.find_all((nodes.Macro, nodes.CallBlock))]
    return Locality(stateless=not any(any(node.find_all(nodes.NSRef)) for node in shared))


def _over(loop: nodes.For) -> bool:
    """Whether ``loop`` runs over the messages."""
    return _is_name(loop.iter, MESSAGES)


def _is_name(node: nodes.Node, name: str) -> bool:
    return isinstance(node, nodes.Name) and node.name == name


def _walk(
    node: nodes.Node, parent: nodes.Node | None = None
) -> Iterator[tuple[nodes.Node, nodes.Node | None]]:
    """Every node under ``node`` (itself included) with its parent."""
    yield node, parent
    for child in node.iter_child_nodes():
        yield from _walk(child, node)


def _names_fit(tree: nodes.Template, loop: nodes.For, after: list[nodes.Node]) -> bool:
    """``messages`` only subscripted (or looped over, once), the generation prompt flag only
    read after the loop, no stateful helper objects, no name of ours assigned."""
    after_nodes = {id(node) for top in after for node, _ in _walk(top)}
    return all(
        _name_fits(node, parent, loop, after_nodes)
        for node, parent in _walk(tree)
        if isinstance(node, nodes.Name)
    )


def _name_fits(
    name: nodes.Name, parent: nodes.Node | None, loop: nodes.For, after_nodes: set[int]
) -> bool:
    if name.ctx != "load":
        return name.name not in (MESSAGES, "loop", GENERATION_PROMPT)
    if name.name == MESSAGES:
        return name is loop.iter or (
            isinstance(parent, nodes.Getitem)
            and parent.node is name
            and not isinstance(parent.arg, nodes.Slice)
        )
    if name.name == GENERATION_PROMPT:
        return id(name) in after_nodes
    return name.name not in _STATEFUL_OBJECTS


def _loop_fields_fit(body: list[nodes.Node]) -> bool:
    """``loop`` (the message loop's) read only as an allowed field."""
    for top in body:
        for node, parent in _outer_scope(top):
            if _is_name(node, "loop") and not (
                isinstance(parent, nodes.Getattr)
                and parent.node is node
                and parent.attr in _LOOP_FIELDS
            ):
                return False
    return True


def _outer_scope(
    node: nodes.Node, parent: nodes.Node | None = None
) -> Iterator[tuple[nodes.Node, nodes.Node | None]]:
    """Like :func:`_walk`, but not into the bodies of inner loops (``loop`` is theirs there)."""
    yield node, parent
    if isinstance(node, nodes.For):  # its target, body and else are in its own scope
        children = [node.iter] if node.test is None else [node.iter, node.test]
    else:
        children = list(node.iter_child_nodes())
    for child in children:
        yield from _outer_scope(child, node)


def _loaded(node: nodes.Node) -> set[str]:
    """The names ``node`` reads."""
    return {name.name for name in node.find_all(nodes.Name) if name.ctx == "load"} | (
        {node.name} if isinstance(node, nodes.Name) and node.ctx == "load" else set()
    )
