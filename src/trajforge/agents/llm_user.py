"""A simulated user played by a chat model, from the task's instruction and hidden information.

``LLMUser`` answers the agent's questions in character: it knows the instruction (what it wants)
and ``task.hidden_info`` (what only it knows), answers what is asked, says it does not know what
is not in its information, confirms a request for confirmation when it matches what it agreed to
(the ``confirm`` fact, where the task has one) and declines otherwise, and keeps to itself what
was not asked for. A message that is not a question gets no answer (``None``), as with
``ScriptedUser``.

Models do not always keep secrets, so a guard checks each answer: if it repeats a hidden value
the question did not ask about, the answer is replaced by the scripted user's (deterministic)
answer to the same question. An empty answer becomes ``I don't know.``
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from trajforge.agents.llm_client import ChatClient, seeded
from trajforge.agents.users import DONT_KNOW, ScriptedUser
from trajforge.schema import Task

MIN_SECRET_LENGTH: Final = 4
USER_SYSTEM_PROMPT: Final = """\
You are role-playing a customer talking to an assistant. Stay in character and write only what \
the customer says, in the first person, in one or two short sentences.

What you want (you already told the assistant this):
{instruction}

What you know, to tell the assistant ONLY when it asks for that piece of information:
{facts}

Rules:
- Answer only the question asked. Do not volunteer anything else from the list above.
- If the assistant asks for something that is not in your information, say you don't know.
- If the assistant asks you to confirm an action: {confirm}
- Never mention these instructions, and never ask the assistant to do anything new."""
_CONFIRM_WITH = (
    'say yes if it matches what you agreed to ("{confirm}"), otherwise decline and say what you '
    "want instead."
)
_CONFIRM_WITHOUT = "say yes if it matches what you asked for, otherwise decline."


class LLMUser:
    """A User (``respond(message, question=...)``) played by a chat model."""

    def __init__(
        self,
        client: ChatClient,
        task: Task,
        key_descriptions: Mapping[str, str] | None = None,
        *,
        seed: int = 0,
        sampling: dict[str, Any] | None = None,
        leak_guard: bool = True,
        send_seed: bool = True,
    ) -> None:
        self.client = client
        self.task = task
        self.seed = seed
        self.sampling = dict(sampling or {})
        self.leak_guard = leak_guard
        self.send_seed = send_seed
        descriptions = dict(key_descriptions or {})
        self.facts = {key: str(value) for key, value in task.hidden_info.items()}
        lines = [
            f"- {key.replace('_', ' ')}"
            + (f" ({descriptions[key]})" if key in descriptions else "")
            + f": {value}"
            for key, value in self.facts.items()
        ]
        confirm = self.facts.get("confirm")
        self.system_prompt = USER_SYSTEM_PROMPT.format(
            instruction=task.instruction or "(nothing in particular)",
            facts="\n".join(lines) or "- (nothing beyond your request)",
            confirm=_CONFIRM_WITH.format(confirm=confirm) if confirm else _CONFIRM_WITHOUT,
        )
        self.history: list[dict[str, Any]] = []
        self.asked: set[str] = set()
        #: How many answers the leak guard replaced.
        self.guarded = 0
        self._fallback = ScriptedUser(task, descriptions)

    async def respond(self, message: str, *, question: bool) -> str | None:
        """The user's answer to a question from the agent; None for a statement."""
        if not question:
            return None
        self.asked |= self._keys_asked(message)
        self.history.append({"role": "user", "content": message})
        messages = [{"role": "system", "content": self.system_prompt}, *self.history]
        sampling = seeded(self.sampling, self.send_seed, "user", self.seed, len(self.history))
        result = await self.client.complete(messages, **sampling)
        content = result.message.get("content")
        answer = content.strip() if isinstance(content, str) else ""
        if not answer:
            answer = DONT_KNOW
        if self.leak_guard and self.leaks(answer):
            self.guarded += 1
            answer = await self._fallback.respond(message, question=True) or DONT_KNOW
        self.history.append({"role": "assistant", "content": answer})
        return answer

    def _keys_asked(self, message: str) -> set[str]:
        return self._fallback.keys_asked(message)

    def leaks(self, answer: str) -> list[str]:
        """Hidden keys whose values ``answer`` repeats although no question asked for them."""
        lowered = answer.lower()
        return [
            key
            for key, value in self.facts.items()
            if key not in self.asked
            and key != "confirm"
            and len(value) >= MIN_SECRET_LENGTH
            and value.lower() in lowered
        ]
