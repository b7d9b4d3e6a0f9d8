"""The secret detectors: whole tokens of every provider, whole PEM blocks, valid JWTs."""

from __future__ import annotations

import base64
import json

import pytest

from trajforge.curate.secrets import SECRET_DETECTORS

STRIPE_LONG = "sk_live_" + "51NbQ2xKz8" * 9 + "ABCDEFGHI"  # 99 characters after the prefix
JWT_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
JWT_CLAIMS = base64.urlsafe_b64encode(json.dumps({"sub": "42"}).encode()).rstrip(b"=").decode()
JWT = f"{JWT_HEADER}.{JWT_CLAIMS}.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PEM = "\n".join(
    (
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn",
        "-----END RSA PRIVATE KEY-----",
    )
)


def found(kind: str, text: str) -> list[str]:
    return [text[f.start : f.end] for f in SECRET_DETECTORS[kind](text)]


@pytest.mark.parametrize(
    "token",
    [
        "sk-ant-api03-" + "Ab3_" * 23 + "xAA",  # Anthropic
        "sk-proj-" + "a1B2" * 18 + "T3BlbkFJ" + "c3D4" * 18,  # OpenAI project key
        "AKIAIOSFODNN7EXAMPLE",  # AWS access key id
        "ghp_" + "A1b2" * 9,  # GitHub classic
        "github_pat_" + "11ABCDEFG" * 9,  # GitHub fine-grained
        "xoxb-123456789012-1234567890123-" + "aB3" * 8,  # Slack
        STRIPE_LONG,  # Stripe: detect-secrets' pattern stops after 24 characters
        "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"[:35],  # Google
        "hf_" + "abcdEFGH" * 4 + "ij",  # Hugging Face
        "glpat-" + "x9Y8z7W6v5U4t3S2r1Q0",  # GitLab
    ],
)
def test_a_provider_token_is_found_whole(token: str) -> None:
    text = f'config: {{"auth": "{token}", "retries": 3}}'
    assert found("api_key", text) == [token]


def test_an_aws_secret_key_is_found_by_its_name_even_unquoted() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert found("api_key", f"aws_secret_access_key = {secret}\nregion = eu-west-1") == [secret]


def test_a_jwt_is_found_with_its_signature() -> None:
    assert found("jwt", f"Authorization: Bearer {JWT}.") == [JWT]
    assert found("jwt", f"id_token={JWT}") == [JWT]


def test_a_jwt_lookalike_that_does_not_decode_is_left() -> None:
    assert found("jwt", "eyJnot.eyJjson.sig") == []


def test_a_private_key_is_found_as_a_whole_block() -> None:
    assert found("private_key", f"key:\n{PEM}\nend") == [PEM]
    escaped = json.dumps({"key": PEM})  # inside a JSON document, as text with \n escapes
    assert found("private_key", escaped) == [json.dumps(PEM)[1:-1]]


def test_a_cut_off_private_key_is_found_to_the_end_of_its_base64() -> None:
    text = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nMIIEpAIB"
    assert found("private_key", text + "\n") == [text]


def test_digests_ids_and_words_are_not_secrets() -> None:
    text = (
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, "
        "uuid 123e4567-e89b-12d3-a456-426614174000, task-skip, sk-learn, ghp_short"
    )
    for kind in SECRET_DETECTORS:
        assert found(kind, text) == [], kind
