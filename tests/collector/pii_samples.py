"""PII and secret samples for the collector's safety net.

The labelled corpus of the privacy work (tests/privacy/corpus/) is used when it is present;
until then this minimal inline set (synthetic values only) covers each required entity once.
"""

from __future__ import annotations

from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parents[1] / "privacy" / "corpus"

# (entity, text containing the value, the value that must not survive)
INLINE: list[tuple[str, str, str]] = [
    ("EMAIL", "메일은 hong.gildong@example.com으로 보내주세요", "hong.gildong@example.com"),
    ("KR_PHONE", "제 번호는 010-1234-5678로 연락 주세요", "010-1234-5678"),
    ("KR_PHONE", "call me on +82 2 3456 7890 tomorrow", "+82 2 3456 7890"),
    ("PHONE", "US desk +1 415 555 0100", "+1 415 555 0100"),
    ("KR_RRN", "주민등록번호는 900101-1234568 입니다", "900101-1234568"),
    ("KR_FRN", "외국인등록번호 850615-5123456", "850615-5123456"),
    ("CREDIT_CARD", "카드번호 4111 1111 1111 1111 유효기간 12/30", "4111 1111 1111 1111"),
    ("IBAN", "pay to DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00"),
    ("OPENAI_KEY", "my key is sk-proj-Q2xhdWRlRm9yVGVzdGluZ09ubHk0", "sk-proj-Q2xhdWRlRm9yVGVzdGluZ09ubHk0"),
    ("ANTHROPIC_KEY", "use sk-ant-api03-VGVzdEtleUZvckxsbW90ZWxPbmx5AA", "sk-ant-api03-VGVzdEtleUZvckxsbW90ZWxPbmx5AA"),
    ("AWS_ACCESS_KEY", "aws id AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("GITHUB_TOKEN", "GH ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("GOOGLE_API_KEY", "google AIzaSyB-abcdefghijklmnopqrstuvwxyz01234", "AIzaSyB-abcdefghijklmnopqrstuvwxyz01234"),
    ("SLACK_TOKEN", "slack xoxb-1234567890-abcdefghijKLMN", "xoxb-1234567890-abcdefghijKLMN"),
    (
        "JWT",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.dGVzdHNpZw",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.dGVzdHNpZw",
    ),
    ("BEARER_TOKEN", "header Authorization: Bearer abcdef0123456789ABCDEF", "abcdef0123456789ABCDEF"),
    (
        "PRIVATE_KEY",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
    ),
]

# Text with no PII that must come out byte-identical.
CLEAN: list[str] = [
    "What is the capital of France? Answer in one word.",
    "서울의 오늘 날씨를 알려줘. 기온은 섭씨로.",
    "Model gpt-4o-mini-2024-07-18 v1.2.3 answered in 0.8 s at 10:30.",
]


def samples() -> list[tuple[str, str, str]]:
    return INLINE
