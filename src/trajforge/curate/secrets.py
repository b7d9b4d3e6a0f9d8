"""Detectors of secrets: API keys and tokens of common providers, private keys, JWTs.

Provider tokens are found by the patterns of Yelp's ``detect-secrets`` plugins (AWS, GitHub,
GitLab, Slack, Stripe, OpenAI, SendGrid, Twilio, npm, PyPI, Discord, Telegram, Mailchimp,
Square, Artifactory, Azure storage) and, for providers it does not know or formats it predates,
patterns of their own below (Anthropic, Google, Hugging Face, GitHub fine-grained tokens,
OpenAI project keys, AWS secret keys written without quotes). A match is widened to the whole
token around it: a pattern that stops after a fixed prefix length must not leave the rest of a
longer key behind. JWTs are checked with ``detect-secrets``' own test (header and payload are
base64 JSON); private keys are whole PEM blocks, ``BEGIN`` to ``END`` (or to the end of the
base64 when the text was cut off).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from trajforge.curate.finding import Detector, Finding

#: The detect-secrets plugins whose patterns find provider tokens.
PLUGINS: Final = (
    ArtifactoryDetector,
    AWSKeyDetector,
    AzureStorageKeyDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    MailchimpDetector,
    NpmDetector,
    OpenAIDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
)
_OWN = (
    re.compile(r"sk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{32,}"),  # Anthropic
    re.compile(r"AIza[0-9A-Za-z_-]{35}"),  # Google API key
    re.compile(r"hf_[A-Za-z0-9]{30,}"),  # Hugging Face
    re.compile(r"github_pat_[A-Za-z0-9_]{40,}"),  # GitHub fine-grained token
    re.compile(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"),  # OpenAI, new formats
    re.compile(
        r"aws.{0,20}?(?:secret|key).{0,20}?[=:]\s*['\"]?([A-Za-z0-9/+]{40})(?![\w/+])", re.I
    ),
)


def _flags(pattern: re.Pattern[str]) -> str:
    """The pattern's case and verbose flags, as written inline."""
    return ("i" if pattern.flags & re.I else "") + ("x" if pattern.flags & re.X else "")


_TOKEN_PATTERNS: Final = tuple(p for plugin in PLUGINS for p in plugin.denylist) + _OWN
# all of them at once, to pass over the many texts that hold no token in one search
_ANY_TOKEN: Final = re.compile("|".join(f"(?{_flags(p)}:{p.pattern})" for p in _TOKEN_PATTERNS))
# every provider's token holds a run of 20 token characters or more (real Artifactory keys too,
# though detect-secrets' pattern takes 13): a text without one holds no token
_LONG_RUN: Final = re.compile(r"[\w+/=-]{20}")
_SHORTEST_SECRET: Final = 16
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_\-]")
_JWT_CHAR = re.compile(r"[A-Za-z0-9_\-.]")
_PEM = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:.*?-----END \1-----|[A-Za-z0-9+/=:,\s\\-]*)",
    re.DOTALL,
)
_LINE_BREAKS = re.compile(r"\s+|\\[nr]")
_JWT_START = JwtTokenDetector.denylist[0]
_DELIMITERS = " \t\r\n\"'=:"


def _widened(text: str, start: int, end: int) -> tuple[int, int]:
    """``start:end`` without the delimiters a pattern took along (quotes, spaces, ``=``), then
    grown over the token characters on both sides."""
    while start < end and text[start] in _DELIMITERS:
        start += 1
    while end > start and text[end - 1] in _DELIMITERS:
        end -= 1
    while start > 0 and _TOKEN_CHAR.match(text, start - 1):
        start -= 1
    while end < len(text) and _TOKEN_CHAR.match(text, end):
        end += 1
    return start, end


def secret_span(m: re.Match[str]) -> tuple[int, int]:
    """Where the secret is in a match: the last group long enough to be one (AWS's pattern
    captures the key after its name; GitHub's captures only the prefix), else the match."""
    for group in range(m.re.groups, 0, -1):
        if len(m.group(group) or "") >= _SHORTEST_SECRET:
            return m.span(group)
    return m.span()


def find_api_keys(text: str) -> Iterator[Finding]:
    """API keys and tokens of common providers; key: the token."""
    if _LONG_RUN.search(text) is None or _ANY_TOKEN.search(text) is None:
        return
    spans = set()
    for pattern in _TOKEN_PATTERNS:
        for m in pattern.finditer(text):
            spans.add(_widened(text, *secret_span(m)))
    for start, end in sorted(spans):
        yield Finding("api_key", start, end, text[start:end])


def find_jwts(text: str) -> Iterator[Finding]:
    """JSON Web Tokens whose header and payload decode to JSON; key: the token."""
    if "eyJ" not in text:
        return
    for m in _JWT_START.finditer(text):
        start, end = m.start(), m.end()
        while end < len(text) and _JWT_CHAR.match(text, end):
            end += 1
        while end > start and text[end - 1] == ".":
            end -= 1
        token = text[start:end]
        if JwtTokenDetector.is_formally_valid(token):
            yield Finding("jwt", start, end, token)


def find_private_keys(text: str) -> Iterator[Finding]:
    """PEM private key blocks; key: the block without its line breaks (written or escaped)."""
    if "PRIVATE KEY" not in text:
        return
    for m in _PEM.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in " \t\r\n\\":
            end -= 1
        yield Finding("private_key", m.start(), end, _LINE_BREAKS.sub("", text[m.start() : end]))


#: The detector of each kind of secret.
SECRET_DETECTORS: Final[dict[str, Detector]] = {
    "private_key": find_private_keys,
    "jwt": find_jwts,
    "api_key": find_api_keys,
}
