"""Behaviour of the Redactor beyond the corpus: placeholders, JSON walking, blobs, counting."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from llmotel.privacy import RedactionConfig, RedactionCounts, Redactor

KEY = b"0123456789abcdef0123456789abcdef"


def blob_placeholder_for(data: bytes) -> str:
    return f"<BLOB size={len(data)} sha256={hashlib.sha256(data).hexdigest()[:12]}>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("010-1234-5678로 연락", "<KR_PHONE>로 연락"),
        ("번호는010-1234-5678입니다", "번호는<KR_PHONE>입니다"),
        ("메일은a.b@example.com으로", "메일은<EMAIL>으로"),
        ("주민번호900101-1234568을", "주민번호<KR_RRN>을"),
        ("카드4111111111111111로", "카드<CREDIT_CARD>로"),
    ],
)
def test_values_glued_to_hangul_are_found(text: str, expected: str) -> None:
    assert Redactor().redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "x010-1234-5678",  # inside an ASCII word
        "4111111111111112",  # fails Luhn
        "900101-9234568",  # 7th digit 9: not a resident number
        "901301-1234568",  # month 13
        "220-81-85016",  # business number with a wrong check digit
        "000-12-3456",  # SSN area 000
        "DE89 3704 0044 0532 0130 01",  # IBAN failing mod 97
    ],
)
def test_invalid_look_alikes_stay(text: str) -> None:
    assert Redactor(RedactionConfig(preset="strict")).redact_text(text) == text


def test_rrn_without_checksum_is_still_redacted_when_shaped_like_one() -> None:
    # Numbers issued since October 2020 fail the old checksum; the hyphenated shape is enough.
    assert Redactor().redact_text("210315-3456780") == "<KR_RRN>"


def test_bare_13_digits_need_checksum_or_context_except_in_strict() -> None:
    bare_invalid = "2103153456780"
    assert Redactor().redact_text(f"id {bare_invalid}") == f"id {bare_invalid}"
    assert Redactor().redact_text(f"주민등록번호 {bare_invalid}") == "주민등록번호 <KR_RRN>"
    assert Redactor().redact_text("id 9001011234568") == "id <KR_RRN>"  # valid checksum
    assert Redactor(RedactionConfig(preset="strict")).redact_text(f"id {bare_invalid}") == "id <KR_RRN>"


def test_passport_and_licence_need_a_context_word() -> None:
    redactor = Redactor()
    assert redactor.redact_text("code M12345678") == "code M12345678"
    assert redactor.redact_text("여권번호 M12345678") == "여권번호 <PASSPORT>"
    assert redactor.redact_text("11-12-123456-78") == "11-12-123456-78"
    assert redactor.redact_text("운전면허 11-12-123456-78") == "운전면허 <DRIVER_LICENSE>"


def test_ip_is_strict_only_and_skips_versions_and_loopback() -> None:
    text = "host 203.0.113.45, version 1.2.3.4, bind 0.0.0.0, lo 127.0.0.1, ::1"
    assert Redactor().redact_text(text) == text
    assert (
        Redactor(RedactionConfig(preset="strict")).redact_text(text)
        == "host <IP>, version 1.2.3.4, bind 0.0.0.0, lo 127.0.0.1, ::1"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ip:2001:db8::1 down", "ip:<IP> down"),
        ("peer [fe80::1ff:fe23:4567:890a%eth0]:8080", "peer [<IP>]:8080"),
        ("at 10:30:45, std::vector, a::b, dead::beef::1", "at 10:30:45, std::vector, a::b, dead::beef::1"),
    ],
)
def test_ipv6_in_strict(text: str, expected: str) -> None:
    assert Redactor(RedactionConfig(preset="strict")).redact_text(text) == expected


def test_bearer_keeps_the_scheme_and_prefers_the_specific_secret() -> None:
    redactor = Redactor()
    assert redactor.redact_text("Authorization: Bearer 9f8e7d6c5b4a3928170") == "Authorization: Bearer <BEARER_TOKEN>"
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    counts = RedactionCounts()
    assert redactor.redact_text(f"Bearer {jwt}", counts) == "Bearer <JWT>"
    assert counts.as_dict() == {"JWT": 1}


def test_private_key_truncated_before_its_end_line_is_redacted() -> None:
    text = "key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yBy\nQWxhZGRpbjpvcGVu"
    assert Redactor().redact_text(text) == "key:\n<PRIVATE_KEY>"


def test_encrypted_private_key_with_headers_is_redacted_whole() -> None:
    text = (
        "key:\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17A2\n\n"
        "MIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG\n-----END ENCRYPTED PRIVATE KEY-----\nthanks"
    )
    assert Redactor().redact_text(text) == "key:\n<PRIVATE_KEY>\nthanks"


def test_hmac_placeholders_correlate_equal_values_and_depend_on_the_key() -> None:
    redactor = Redactor(RedactionConfig(hmac_key=KEY))
    first = redactor.redact_text("call 010-1234-5678")
    second = redactor.redact_text("call +82 10 1234 5678")
    digest = hmac.new(KEY, b"KR_PHONE:01012345678", hashlib.sha256).hexdigest()[:8]
    assert first == second == f"call <KR_PHONE:{digest}>"
    other = Redactor(RedactionConfig(hmac_key=KEY[::-1])).redact_text("call 010-1234-5678")
    assert other != first
    # Never an unsalted hash: the plain SHA-256 of the value appears nowhere.
    assert hashlib.sha256(b"01012345678").hexdigest()[:8] not in first


def test_resident_numbers_stay_irreversible_with_an_hmac_key() -> None:
    redactor = Redactor(RedactionConfig(hmac_key=KEY))
    assert redactor.redact_text("900101-1234568, 850315-5123458") == "<KR_RRN>, <KR_FRN>"


def test_user_patterns_with_a_value_group_and_a_callback() -> None:
    calls: list[str] = []

    def drop_names(text: str) -> str:
        calls.append(text)
        return text.replace("홍길동", "<NAME>")

    config = RedactionConfig(
        patterns={"EMPLOYEE_ID": r"EMP-(?P<value>[0-9]{6})", "PROJECT": r"project [A-Z]{4}"},
        callback=drop_names,
    )
    counts = RedactionCounts()
    out = Redactor(config).redact_text("홍길동 EMP-004217 on project ZEUS", counts)
    assert out == "<NAME> EMP-<EMPLOYEE_ID> on <PROJECT>"
    assert counts.as_dict() == {"EMPLOYEE_ID": 1, "PROJECT": 1, "CALLBACK": 1}
    # With a callback there is no fast path: it sees every string.
    Redactor(config).redact_text("plain words")
    assert calls[-1] == "plain words"


def test_entities_can_be_switched_on_and_off() -> None:
    redactor = Redactor(RedactionConfig(enable=("IP",), disable=("EMAIL",)))
    assert redactor.redact_text("a@example.com 203.0.113.5") == "a@example.com <IP>"


def test_off_preset_is_the_identity_and_reports_disabled() -> None:
    redactor = Redactor(RedactionConfig(preset="off"))
    assert not redactor.enabled
    value = {"a": ["010-1234-5678"]}
    assert redactor.redact_json(value) is value
    assert redactor.redact_text("010-1234-5678") == "010-1234-5678"


def test_fast_path_returns_the_same_object_for_plain_prose() -> None:
    text = "그냥 평범한 문장입니다. Nothing sensitive here, only words."
    assert Redactor().redact_text(text) is text


def test_redact_json_walks_nested_values_without_mutating_the_input() -> None:
    messages = [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "내 번호 010-1234-5678"},
                {"type": "tool_call_response", "response": {"rows": [{"email": "x@example.com", "n": 7}]}},
            ],
        },
        {"role": "system", "parts": ({"type": "text", "content": "be brief"},)},
    ]
    snapshot = json.dumps(messages, ensure_ascii=False)
    counts = RedactionCounts()
    redacted = Redactor().redact_json(messages, counts)
    assert json.dumps(messages, ensure_ascii=False) == snapshot
    assert redacted == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "내 번호 <KR_PHONE>"},
                {"type": "tool_call_response", "response": {"rows": [{"email": "<EMAIL>", "n": 7}]}},
            ],
        },
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
    ]
    assert counts.as_dict() == {"KR_PHONE": 1, "EMAIL": 1}
    assert counts.total == 2


def test_json_strings_unchanged_when_nothing_is_redacted_keep_their_bytes() -> None:
    arguments = '{"city":  "Seoul",\n "days": 3}'
    assert Redactor().redact_json({"arguments": arguments}) == {"arguments": arguments}


def test_integers_that_are_card_numbers_become_placeholders() -> None:
    redacted = Redactor().redact_json({"card": 4111111111111111, "tokens": 15320, "ok": True})
    assert redacted == {"card": "<CREDIT_CARD>", "tokens": 15320, "ok": True}


def test_bytes_and_other_objects_are_never_passed_through_unredacted() -> None:
    class Note:
        def __str__(self) -> str:
            return "call 010-1234-5678"

    raw = b"\x89PNG\r\n" + bytes(100)
    counts = RedactionCounts()
    redacted = Redactor().redact_json({"image": raw, "note": Note(), "ratio": 0.5, "none": None}, counts)
    assert redacted == {"image": blob_placeholder_for(raw), "note": "call <KR_PHONE>", "ratio": 0.5, "none": None}
    assert counts.as_dict() == {"BLOB": 1, "KR_PHONE": 1}


def test_version_keys_are_never_addresses() -> None:
    redactor = Redactor(RedactionConfig(preset="strict"))
    redacted = redactor.redact_json({"service.version": "10.1.2.3", "peer": "10.1.2.3"})
    assert redacted == {"service.version": "10.1.2.3", "peer": "<IP>"}


def test_base64_media_becomes_a_size_and_hash_placeholder() -> None:
    image = bytes(range(256)) * 3
    encoded = base64.b64encode(image).decode()
    counts = RedactionCounts()
    redacted = Redactor().redact_json(
        [
            {"type": "blob", "modality": "image", "mime_type": "image/png", "content": encoded},
            {"type": "text", "content": f"see data:image/png;base64,{encoded} above"},
        ],
        counts,
    )
    placeholder = blob_placeholder_for(image)
    assert redacted == [
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": placeholder},
        {"type": "text", "content": f"see {placeholder} above"},
    ]
    assert counts.as_dict() == {"BLOB": 2}


def test_counts_accumulate_across_calls_and_merge() -> None:
    redactor = Redactor()
    counts = RedactionCounts()
    redactor.redact_text("a@example.com", counts)
    redactor.redact_json({"x": "b@example.com 010-1234-5678"}, counts)
    other = RedactionCounts({"EMAIL": 1})
    counts.merge(other)
    assert counts.as_dict() == {"EMAIL": 3, "KR_PHONE": 1}
    assert counts.total == 4 and counts.get("IBAN") == 0 and bool(counts)
    assert not RedactionCounts()


def test_long_inputs_without_matches_are_handled() -> None:
    # Shapes that make naive regexes backtrack: long word runs before `@`, long digit runs.
    redactor = Redactor(RedactionConfig(preset="strict"))
    word_run = "a" * 50_000 + "@"
    assert redactor.redact_text(word_run) == word_run
    digits = "1" * 50_000 + " end"
    assert redactor.redact_text(digits) == digits
    dashed = "1-" * 25_000 + "end"
    assert redactor.redact_text(dashed) == dashed
    spaced = "1 " * 25_000
    assert redactor.redact_text(spaced) == spaced
