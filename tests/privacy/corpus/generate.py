"""Writes positives.jsonl and negatives.jsonl: the labelled redaction corpus.

Every value is synthetic: test card numbers published by the card schemes, IBANs from the
ISO 13616 examples, key-shaped strings typed for this file, resident numbers built for their
checksum. Span offsets are computed here, so edit this file and rerun it rather than editing
the JSONL by hand (`tests/privacy/test_privacy_corpus.py` fails when the two disagree):

    python tests/privacy/corpus/generate.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POSITIVES = HERE / "positives.jsonl"
NEGATIVES = HERE / "negatives.jsonl"

# --- values ------------------------------------------------------------------------------
VALUES: dict[str, list[str]] = {
    "EMAIL": [
        "minji.park@example.co.kr",
        "j.doe+llm@example.com",
        "kim_cs@test.example.org",
        "support-team@mail.example.net",
        "USER.Name@Example.COM",
        "hong.gildong@example.kr",
    ],
    "KR_PHONE": [
        "010-2345-6789",
        "01098765432",
        "010 3456 7890",
        "010.4567.8901",
        "+82 10-2345-6789",
        "+82-10-9876-5432",
        "+821034567890",
        "+82 (0)10 1234 5678",
        "02-312-4567",
        "(02) 312-4567",
        "031-789-1234",
        "051)234-5678",
        "070-1234-5678",
        "0505-123-4567",
        "064 712 3456",
        "011-234-5678",
        "+82 2 312 4567",
        "(010) 2345-6789",
    ],
    "PHONE": [
        "+1 415 555 0132",
        "+1-202-555-0147",
        "+44 20 7946 0958",
        "+81 3-1234-5678",
        "+86 138 0013 8000",
        "+49 30 901820",
        "+65 6123 4567",
        "+33 1 42 68 53 00",
    ],
    "KR_RRN": [
        "900101-1234568",
        "850707-2345672",
        "760512-1456783",
        "021115-3123451",
        "991231-2233447",
        # Issued after October 2020: no valid checksum, still a resident number.
        "210315-3456780",
        "220401-4123450",
        "230917-3123450",
        "900101 - 1234568",
    ],
    "KR_FRN": ["850315-5123458", "010203-6234568", "991231-7123456", "770620-8123455"],
    "KR_BRN": ["214-86-75308", "318-05-27491", "605-19-38263", "107-26-49380", "508-81-73627", "220-81-85015"],
    "US_SSN": ["536-22-1478", "401-73-9920", "287 65 4321", "123-45-6789"],
    "CREDIT_CARD": [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5555555555554444",
        "378282246310005",
        "3782 822463 10005",
        "6011111111111117",
        "3530111333300000",
        "5105 1051 0510 5100",
        "4012888888881881",
        "36227206271667",
        "2223 0031 2200 3222",
    ],
    "IBAN": [
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "ES9121000418450200051332",
        "CH9300762011623852957",
        "IT60X0542811101000000123456",
        "BE68539007547034",
    ],
    "IP": [
        "192.168.0.10",
        "203.0.113.45",
        "10.0.0.1",
        "198.51.100.7",
        "2001:db8::8a2e:370:7334",
        "fe80::1ff:fe23:4567:890a",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    ],
    "OPENAI_KEY": [
        "sk-proj-Xy7kQ2mN9pL4vB8cR1tW6zH3jF5dG0sA2eU7iO9yT4rE6wQ1aS3dF5gH7jK9lZ2xC4vB6nM8qW0eR2tY4uI6oP8aS0dF",
        "sk-Ab3De5Gh7Jk9Mn1Pq3St5Vw7Yz9Bc2Ef4Hi6Kl8No0Qr2Tu",
        "sk-svcacct-Qw1Er2Ty3Ui4Op5As6Df7Gh8Jk9Lz0Xc1Vb2Nm3Qw4Er5Ty6Ui7Op8",
    ],
    "ANTHROPIC_KEY": [
        "sk-ant-api03-Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2Gg1Ff0Dd9Ss8Aa7Qq6Ww5Ee4Rr3Tt2Yy1Uu0Ii9Oo8Pp7-Ab3Cd4Ef5GhAA",
        "sk-ant-admin01-Pq2Rs3Tu4Vw5Xy6Za7Bc8De9Fg0Hi1Jk2Lm3No4Pq5Rs6Tu7Vw8Xy9Za0AA",
    ],
    "AWS_ACCESS_KEY": ["AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A", "AKIA2E0A8F3B244C9986"],
    "GITHUB_TOKEN": [
        "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R",
        "gho_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn",
        "github_pat_11ABCDEFG0123456789_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrSt",
    ],
    "GOOGLE_API_KEY": ["AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "AIzaSyDq8rT2vX9yZ4bC6nM1kL3jH5gF7dS0aP2"],
    "SLACK_TOKEN": [
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxp-210987654321-210987654321-987654321098-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d",
    ],
    "JWT": [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJsbG1vdGVsLXRlc3QiLCJleHAiOjE3OTk5OTk5OTl9.c2lnbmF0dXJlLW5vdC1yZWFs",
    ],
    "BEARER_TOKEN": ["9f8e7d6c5b4a39281706f5e4d3c2b1a0", "tok_live_5Ab7Cd9Ef1Gh3Ij5Kl7Mn9"],
    "PRIVATE_KEY": [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAx7Zq3Lw9Kf2Nn8Rt5Yv1Bc4Hd6Jg0Mp2Qs7Tu9Vw3Xy5Za\n"
        "Q29udGVudC1vbmx5LWZvci10ZXN0cy1ub3QtYS1yZWFsLWtleQ==\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
        "QyNTUxOQAAACBzeW50aGV0aWMtdGVzdC1rZXktbWF0ZXJpYWw=\n-----END OPENSSH PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----",
    ],
}

# Context-dependent entities: the context word is part of the template, the value alone here.
PASSPORTS = ["M12345678", "X98765432", "123456789", "M123A4567", "S87654321"]
DRIVER_LICENSES = ["11-12-123456-78", "서울 12-345678-90", "D1234-56789-01234", "A1234567"]

# --- templates: `{}` is where the value goes ----------------------------------------------
CHAT_EN = [
    "Please reach me at {} if anything changes.",
    "My details for the form: {}. Thanks!",
    "Can you check why {} was rejected yesterday?",
    "Summarise this ticket: customer said their contact is {} and they are upset.",
]
CHAT_KO = [
    "제 연락처는 {}입니다. 확인 부탁드려요.",
    "고객님 정보: {}로 등록되어 있습니다.",
    "{}(으)로 보내주세요!",
    "문의자 정보 {} 확인 후 답변 바랍니다.",
]
MIXED = [
    "고객 ID는 C-1042이고 contact는 {}예요, please follow up.",
    "Re: 주문 확인 — {} 기준으로 처리해 주세요.",
]
CODE = [
    '```python\nclient = Client(contact="{}")\nclient.run()\n```',
    "```yaml\nuser:\n  value: {}\n  retries: 3\n```",
]
SECRET_CONTEXT = [
    "export API_KEY={}",
    "Here is my key {} - why does the request fail with 401?",
    "설정 파일에 {} 넣었는데 인증이 안 돼요.",
    '```json\n{{"api_key": "{}", "timeout": 30}}\n```',
]
BEARER_TEMPLATES = [
    "curl -H 'Authorization: Bearer {}' https://api.example.com/v1/items",
    "헤더에 Authorization: Bearer {} 를 넣었어요.",
]
PEM_TEMPLATES = [
    "Why does ssh reject this key?\n{}\nIt worked yesterday.",
    "```\n{}\n```\n이 키로 서명하면 에러가 나요.",
]
PASSPORT_TEMPLATES = [
    "여권번호 {} 로 예약했어요.",
    "My passport no. is {}, flight tomorrow.",
    "Passport: {}",
    "여권 번호는 {}입니다.",
]
DRIVER_LICENSE_TEMPLATES = [
    "운전면허번호 {} 확인 부탁드립니다.",
    "Driver's license number: {}",
    "면허번호: {}",
    "DL# {} expires next year",
]
RRN_CONTEXT_BARE = [
    "주민등록번호 {} 로 본인확인 했어요.",
    "RRN: {}",
]

SEED = 20261122


def plant(template: str, value: str) -> tuple[str, int]:
    """The text and the value's start offset (templates have exactly one `{}`)."""
    before, after = template.split("{}", 1)
    return before + value + after, len(before)


class Corpus:
    def __init__(self) -> None:
        self.positives: list[dict[str, Any]] = []
        self.negatives: list[dict[str, Any]] = []

    def text(self, case_id: str, lang: str, kind: str, text: str, spans: list[tuple[int, str, str]]) -> None:
        for start, _, value in spans:
            assert text[start : start + len(value)] == value, (case_id, value)
        self.positives.append(
            {
                "id": case_id,
                "lang": lang,
                "kind": kind,
                "text": text,
                "spans": [
                    {"start": start, "end": start + len(value), "entity": entity, "value": value}
                    for start, entity, value in sorted(spans)
                ],
            }
        )

    def planted(self, case_id: str, lang: str, text: str, planted: list[tuple[str, str]]) -> None:
        """A chat text with several values, each found after the previous one."""
        spans: list[tuple[int, str, str]] = []
        for entity, value in planted:
            start = text.index(value, spans[-1][0] + 1 if spans else 0)
            spans.append((start, entity, value))
        self.text(case_id, lang, "chat", text, spans)

    def templated(self, case_id: str, lang: str, kind: str, template: str, entity: str, value: str) -> None:
        text, start = plant(template, value)
        self.text(case_id, lang, kind, text, [(start, entity, value)])

    def tool_arguments(
        self, case_id: str, lang: str, arguments: dict[str, Any], planted: list[tuple[str, str]]
    ) -> None:
        """A JSON tool-call argument document; each planted value appears once, JSON-escaped."""
        text = json.dumps(arguments, ensure_ascii=False)
        spans = []
        for entity, value in planted:
            escaped = json.dumps(value, ensure_ascii=False)[1:-1]
            start = text.index(escaped)
            spans.append((start, entity, escaped))
        self.text(case_id, lang, "json", text, spans)


def build_positives(corpus: Corpus) -> None:
    personal_templates = [(t, "en", "chat") for t in CHAT_EN] + [(t, "ko", "chat") for t in CHAT_KO]
    personal_templates += [(t, "mixed", "chat") for t in MIXED] + [(t, "en", "code") for t in CODE]
    personal = ["EMAIL", "KR_PHONE", "PHONE", "KR_RRN", "KR_FRN", "KR_BRN", "US_SSN", "CREDIT_CARD", "IBAN", "IP"]
    for entity in personal:
        for index, value in enumerate(VALUES[entity]):
            # Each value in two different templates, so every value meets Hangul and ASCII neighbours.
            for turn in range(2):
                template, lang, kind = personal_templates[(index * 2 + turn) % len(personal_templates)]
                if entity == "US_SSN" and lang == "en":
                    template = template.replace("{}", "SSN {}")
                corpus.templated(f"{entity.lower()}-{index}-{turn}", lang, kind, template, entity, value)

    secrets = ["OPENAI_KEY", "ANTHROPIC_KEY", "AWS_ACCESS_KEY", "GITHUB_TOKEN", "GOOGLE_API_KEY", "SLACK_TOKEN", "JWT"]
    for entity in secrets:
        for index, value in enumerate(VALUES[entity]):
            for turn, template in enumerate(SECRET_CONTEXT):
                lang = "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in template) else "en"
                kind = "code" if template.startswith("```") else "chat"
                corpus.templated(f"{entity.lower()}-{index}-{turn}", lang, kind, template, entity, value)
    for index, value in enumerate(VALUES["BEARER_TOKEN"]):
        for turn, template in enumerate(BEARER_TEMPLATES):
            corpus.templated(
                f"bearer-{index}-{turn}", "en" if turn == 0 else "ko", "chat", template, "BEARER_TOKEN", value
            )
    for index, value in enumerate(VALUES["PRIVATE_KEY"]):
        for turn, template in enumerate(PEM_TEMPLATES):
            corpus.templated(f"pem-{index}-{turn}", "en" if turn == 0 else "ko", "code", template, "PRIVATE_KEY", value)
    for index, value in enumerate(PASSPORTS):
        for turn, template in enumerate(PASSPORT_TEMPLATES):
            lang = "ko" if "여권" in template else "en"
            corpus.templated(f"passport-{index}-{turn}", lang, "chat", template, "PASSPORT", value)
    for index, value in enumerate(DRIVER_LICENSES):
        for turn, template in enumerate(DRIVER_LICENSE_TEMPLATES):
            lang = "ko" if "면허" in template else "en"
            corpus.templated(f"driver-license-{index}-{turn}", lang, "chat", template, "DRIVER_LICENSE", value)
    for index, value in enumerate(["9001011234568", "2103153456780", "8503155123458"]):
        entity = "KR_FRN" if value[6] in "5678" else "KR_RRN"
        for turn, template in enumerate(RRN_CONTEXT_BARE):
            corpus.templated(f"rrn-bare-{index}-{turn}", "ko", "chat", template, entity, value)

    # Several entities in one realistic message, in both scripts.
    corpus.planted(
        "multi-ko-refund",
        "ko",
        "안녕하세요, 김민지입니다. 환불 요청드려요. 연락처 010-2345-6789, 이메일 minji.park@example.co.kr, "
        "카드는 4111-1111-1111-1111 이고 주민번호는 900101-1234568 입니다. Order ORD-2024-1122 placed at 14:05.",
        [
            ("KR_PHONE", "010-2345-6789"),
            ("EMAIL", "minji.park@example.co.kr"),
            ("CREDIT_CARD", "4111-1111-1111-1111"),
            ("KR_RRN", "900101-1234568"),
        ],
    )
    corpus.planted(
        "multi-en-deploy",
        "en",
        "Deploy failed. Logs: AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE,"
        " GITHUB_TOKEN=ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R,"
        " contact ops at ops-oncall@example.com or +1-202-555-0147. Version 2.14.1, build 20241122.3.",
        [
            ("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"),
            ("GITHUB_TOKEN", "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R"),
            ("EMAIL", "ops-oncall@example.com"),
            ("PHONE", "+1-202-555-0147"),
        ],
    )

    # Edge cases: Hangul glued to values, punctuation around them, values inside URLs and code.
    edges = [
        ("edge-colon-glued", "ko", "전화번호:01012345678 로 연락주세요", [("KR_PHONE", "01012345678")]),
        (
            "edge-two-phones",
            "ko",
            "010-1234-5678, 010-2345-6789 둘 중 하나로",
            [("KR_PHONE", "010-1234-5678"), ("KR_PHONE", "010-2345-6789")],
        ),
        ("edge-tel-uri", "en", '<a href="tel:+82-10-1234-5678">call</a>', [("KR_PHONE", "+82-10-1234-5678")]),
        (
            "edge-angle-email",
            "en",
            "From: Minji Park <minji.park@example.co.kr>",
            [("EMAIL", "minji.park@example.co.kr")],
        ),
        (
            "edge-email-korean-both-sides",
            "ko",
            "메일주소는kim_cs@test.example.org이에요",
            [("EMAIL", "kim_cs@test.example.org")],
        ),
        ("edge-rrn-en-dash", "ko", "주민번호 900101–1234568 입니다", [("KR_RRN", "900101–1234568")]),
        ("edge-card-hangul-glued", "ko", "카드번호4111111111111111로 결제", [("CREDIT_CARD", "4111111111111111")]),
        (
            "edge-card-parenthesised",
            "en",
            "charged to (5105 1051 0510 5100).",
            [("CREDIT_CARD", "5105 1051 0510 5100")],
        ),
        ("edge-jwt-cookie", "en", "Cookie: session=" + VALUES["JWT"][0] + "; Path=/", [("JWT", VALUES["JWT"][0])]),
        (
            "edge-google-key-url",
            "en",
            "GET https://maps.example.com/api?key=" + VALUES["GOOGLE_API_KEY"][0] + "&q=Seoul",
            [("GOOGLE_API_KEY", VALUES["GOOGLE_API_KEY"][0])],
        ),
        (
            "edge-openai-python",
            "en",
            'openai.api_key = "' + VALUES["OPENAI_KEY"][1] + '"',
            [("OPENAI_KEY", VALUES["OPENAI_KEY"][1])],
        ),
        (
            "edge-slack-env",
            "en",
            "SLACK_BOT_TOKEN=" + VALUES["SLACK_TOKEN"][0],
            [("SLACK_TOKEN", VALUES["SLACK_TOKEN"][0])],
        ),
        ("edge-ssn-context-bare", "en", "Social Security Number 536221478 on file", [("US_SSN", "536221478")]),
        ("edge-iban-sentence-end", "en", "Pay to NL91ABNA0417164300.", [("IBAN", "NL91ABNA0417164300")]),
        ("edge-brn-korean", "ko", "사업자등록번호는 508-81-73627입니다", [("KR_BRN", "508-81-73627")]),
        (
            "edge-phone-list",
            "mixed",
            "비상연락망: 02-312-4567(사무실) / 010-9876-5432(휴대폰)",
            [("KR_PHONE", "02-312-4567"), ("KR_PHONE", "010-9876-5432")],
        ),
    ]
    for case_id, lang, text, planted in edges:
        corpus.planted(case_id, lang, text, planted)

    # Tool-call arguments as the model writes them.
    corpus.tool_arguments(
        "tool-create-customer",
        "ko",
        {"name": "홍길동", "phone": "010-9876-5432", "email": "hong.gildong@example.kr", "tier": 2},
        [("KR_PHONE", "010-9876-5432"), ("EMAIL", "hong.gildong@example.kr")],
    )
    corpus.tool_arguments(
        "tool-refund",
        "en",
        {"order_id": "ORD-88213", "card": "5555 5555 5555 4444", "amount": 129.99, "currency": "USD"},
        [("CREDIT_CARD", "5555 5555 5555 4444")],
    )
    corpus.tool_arguments(
        "tool-wire",
        "en",
        {"beneficiary": {"iban": "DE89 3704 0044 0532 0130 00", "note": "invoice INV-2024-0042"}, "ssn": "536-22-1478"},
        [("IBAN", "DE89 3704 0044 0532 0130 00"), ("US_SSN", "536-22-1478")],
    )
    corpus.tool_arguments(
        "tool-kyc",
        "ko",
        {"resident_number": "850707-2345672", "business_number": "214-86-75308", "memo": "여권 M12345678 확인"},
        [("KR_RRN", "850707-2345672"), ("KR_BRN", "214-86-75308"), ("PASSPORT", "M12345678")],
    )
    corpus.tool_arguments(
        "tool-http",
        "en",
        {"url": "https://api.example.com/v1/users", "headers": {"Authorization": "Bearer " + VALUES["JWT"][1]}},
        [("JWT", VALUES["JWT"][1])],
    )
    corpus.tool_arguments(
        "tool-ssh",
        "en",
        {"host": "build-7", "key": VALUES["PRIVATE_KEY"][2], "port": 22},
        [("PRIVATE_KEY", VALUES["PRIVATE_KEY"][2])],
    )
    corpus.tool_arguments(
        "tool-contacts",
        "mixed",
        {"contacts": [{"tel": "+82 10-2345-6789"}, {"tel": "+44 20 7946 0958"}], "count": 2},
        [("KR_PHONE", "+82 10-2345-6789"), ("PHONE", "+44 20 7946 0958")],
    )


# --- negatives ---------------------------------------------------------------------------
NEGATIVE_TEXTS: dict[str, list[str]] = {
    "version": [
        "Upgrade to v1.2.3 before Friday.",
        "We pinned openai==3.51.0 and anthropic 2.10.0.",
        "Python 3.11.7 and Go 1.26.8 are installed.",
        "release 10.4.2.1 fixed the leak",
        "버전 1.2.3.4 에서 재현됩니다.",
        "Chrome/120.0.6099.109 Safari/537.36",
        "semver 2.0.0-rc.1+build.20241122",
        "service.version: 1.2.3.4",
        '{"service.version": "1.2.3.4", "deployment.environment.name": "prod"}',
        "OpenSSL 3.0.13 30 Jan 2024",
    ],
    "order": [
        "Order ORD-2024-000123 shipped.",
        "송장번호 INV-20241122-0042 확인 부탁드려요.",
        "Ticket #48213 was closed.",
        "PO 4500012345 approved",
        "주문번호 A240512-7781 배송 완료",
        "RMA-77-1042-B",
    ],
    "timestamp": [
        "2024-11-22T10:15:30Z",
        "2024-11-22 14:30:05.123+09:00",
        "2024년 11월 22일 14시 30분에 회의가 있어요.",
        "created_at=1732270530",
        "ts 1732270530123 ms",
        "12/25/2024 09:00 AM",
        "2024.11.22 (금)",
        "Duration 00:03:27.450",
        "20241122-153000",
    ],
    "trace": [
        "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7",
        "span 53995c3f42cd8ad8 parent 3dc93aa2a6a54b84",
    ],
    "uuid": [
        "request id 123e4567-e89b-12d3-a456-426614174000",
        "session 9b2d3f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f 종료",
        "conversation.id=c0ffee00-1234-5678-9abc-def012345678",
    ],
    "hash": [
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "commit 1883ee5 on main, tree 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "md5 d41d8cd98f00b204e9800998ecf8427e",
    ],
    "model": [
        "gpt-4o-mini-2024-07-18 answered in 812 ms",
        "claude-3-5-sonnet-20241022 vs claude-sonnet-4-5-20250929",
        "text-embedding-3-small, o3-mini, gemini-2.5-flash-001",
        "chat gpt-4o-mini",
        "모델 gpt-4.1-nano-2025-04-14 로 바꿨어요",
    ],
    "tokens": [
        "gen_ai.usage.input_tokens=15320 gen_ai.usage.output_tokens=812",
        "input 128000 tokens, cached 102400, reasoning 4096",
        "토큰 사용량: 입력 1,234 / 출력 567",
        '{"prompt_tokens": 2048, "completion_tokens": 1024, "total_tokens": 3072}',
    ],
    "price": [
        "$0.15 per 1M input tokens, $0.60 per 1M output tokens",
        "₩1,234,000 결제 예정",
        "12,345.67 USD was billed for 2024-10",
        "가격은 3만 9천원, 배송비 3,000원",
        "EUR 1.234,56",
    ],
    "korean_numbers": [
        "3일 후에 2개 주문할게요.",
        "서울 강남구 테헤란로 123, 4층 401호",
        "회의실 B2-105에서 오후 3시에 봐요.",
        "2학년 3반 25번",
        "1588-1234 고객센터는 평일 9시부터 6시까지",
        "제품 코드 KR-2024-0012, 수량 120개",
    ],
    "misc": [
        "listen on localhost:4317 and 0.0.0.0:4318",
        "HTTP 429 after 3 retries; backoff 1.5s",
        "ISBN 978-89-01-23456-7",
        "color #FF5733, rgba(255, 87, 51, 0.8)",
        "pi is 3.14159265358979",
        "replicas: 3, maxSurge: 25%",
        "population 51,780,579 in 2024",
        "lat 37.5665, lon 126.9780",
        "the bearer of this letter",
        'Licensed under the Apache License, Version 2.0 (the "License"); 1,024 files',
        "passport photo size 35x45 mm, 여권 사진 규격은 3.5cm x 4.5cm",
        "sk-learn is not a key, and neither is task-123",
        "matrix 4x4, 1920x1080 at 60Hz",
        "std::vector<int> and a::b",
        "user@localhost",
        "@channel please review",
    ],
}


def random_negatives(rnd: random.Random) -> dict[str, list[str]]:
    """Look-alikes generated at random, so precision is measured on numbers nobody chose."""

    def digits(n: int) -> str:
        return "".join(rnd.choice("0123456789") for _ in range(n))

    def hex_id(n: int) -> str:
        return "".join(rnd.choice("0123456789abcdef") for _ in range(n))

    generated: dict[str, list[str]] = {
        "random_order": [],
        "random_trace": [],
        "random_version": [],
        "random_amount": [],
    }
    for _ in range(40):
        month, day, hour, minute = rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59)
        generated["random_order"].append(
            f"Order #{digits(8)} for customer C{digits(5)} shipped on 2024-{month:02d}-{day:02d}."
        )
        generated["random_order"].append(f"주문번호 {digits(4)}-{digits(6)} 처리 완료 ({rnd.randint(1, 9)}건)")
        generated["random_trace"].append(f"trace {hex_id(32)} span {hex_id(16)} took {rnd.randint(1, 999)} ms")
        generated["random_version"].append(
            f"deployed build {rnd.randint(1, 30)}.{rnd.randint(0, 20)}.{rnd.randint(0, 99)} at {hour:02d}:{minute:02d}"
        )
        won, tokens, latency = f"{rnd.randint(1, 999)},{digits(3)}", rnd.randint(100, 99999), rnd.randint(10, 999)
        generated["random_amount"].append(f"{won}원 결제, 토큰 {tokens}개, 지연 {latency}.{digits(1)}ms")
    return generated


def build_negatives(corpus: Corpus) -> None:
    categories = dict(NEGATIVE_TEXTS)
    categories.update(random_negatives(random.Random(SEED)))
    for category, texts in categories.items():
        for index, text in enumerate(texts):
            lang = "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in text) else "en"
            corpus.negatives.append({"id": f"{category}-{index}", "category": category, "lang": lang, "text": text})


def render(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def build() -> Corpus:
    corpus = Corpus()
    build_positives(corpus)
    build_negatives(corpus)
    return corpus


def main(argv: list[str]) -> int:
    corpus = build()
    POSITIVES.write_text(render(corpus.positives), encoding="utf-8")
    NEGATIVES.write_text(render(corpus.negatives), encoding="utf-8")
    print(f"wrote {len(corpus.positives)} positives, {len(corpus.negatives)} negatives to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
