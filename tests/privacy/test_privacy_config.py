"""RedactionConfig from the environment and from code: parsing and one-line errors."""

from __future__ import annotations

import pytest

from llmotel.privacy import PRESETS, RedactionConfig, Redactor


def test_defaults_when_nothing_is_set() -> None:
    config = RedactionConfig.from_env({})
    assert config == RedactionConfig()
    assert config.enabled_entities() == PRESETS["default"]
    assert "IP" not in config.enabled_entities()
    assert {"EMAIL", "KR_RRN", "KR_BRN", "OPENAI_KEY", "BLOB"} <= config.enabled_entities()


def test_every_setting_from_env() -> None:
    config = RedactionConfig.from_env(
        {
            "LLMOTEL_REDACTION": "Strict",
            "LLMOTEL_REDACTION_PATTERNS": r"EMPLOYEE_ID=EMP-[0-9]{6};TICKET=TCK\x3b[0-9]+",
            "LLMOTEL_REDACTION_HMAC_KEY": "k" * 32,
            "LLMOTEL_REDACTION_ENTITIES": "+IP, -KR_BRN,-TICKET",
        }
    )
    assert config.preset == "strict"
    assert dict(config.patterns) == {"EMPLOYEE_ID": "EMP-[0-9]{6}", "TICKET": r"TCK\x3b[0-9]+"}
    assert config.hmac_key == b"k" * 32
    entities = config.enabled_entities()
    assert "IP" in entities and "EMPLOYEE_ID" in entities
    assert "KR_BRN" not in entities and "TICKET" not in entities
    redactor = Redactor(config)
    assert redactor.redact_text("EMP-123456 TCK;77").startswith("<EMPLOYEE_ID:")
    assert redactor.redact_text("TCK;77") == "TCK;77"


def test_off_preset_from_env() -> None:
    assert not Redactor.from_env({"LLMOTEL_REDACTION": "off"}).enabled


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"LLMOTEL_REDACTION": "paranoid"},
            "LLMOTEL_REDACTION: unknown preset 'paranoid'; use one of off, default, strict",
        ),
        ({"LLMOTEL_REDACTION_PATTERNS": "BAD=([0-9]"}, "LLMOTEL_REDACTION_PATTERNS: pattern BAD does not compile"),
        (
            {"LLMOTEL_REDACTION_PATTERNS": "EMPTY=x*"},
            "LLMOTEL_REDACTION_PATTERNS: pattern EMPTY matches the empty string",
        ),
        ({"LLMOTEL_REDACTION_PATTERNS": "lower=abc"}, "LLMOTEL_REDACTION_PATTERNS: pattern name 'lower' must be"),
        ({"LLMOTEL_REDACTION_PATTERNS": "JUSTANAME"}, "LLMOTEL_REDACTION_PATTERNS: 'JUSTANAME' is not NAME=regex"),
        ({"LLMOTEL_REDACTION_ENTITIES": "+IPV4"}, "LLMOTEL_REDACTION_ENTITIES: unknown entity 'IPV4'; use one of"),
        ({"LLMOTEL_REDACTION_HMAC_KEY": "short"}, "LLMOTEL_REDACTION_HMAC_KEY: key is 5 bytes; use at least 16"),
    ],
)
def test_bad_settings_raise_one_line_naming_the_setting(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as error:
        RedactionConfig.from_env(environ)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"preset": "loose"}, "RedactionConfig.preset: unknown preset 'loose'"),
        ({"patterns": {"X": "("}}, "RedactionConfig.patterns: pattern X does not compile"),
        ({"enable": ("NOPE",)}, "RedactionConfig.enable: unknown entity 'NOPE'"),
        ({"disable": ("NOPE",)}, "RedactionConfig.disable: unknown entity 'NOPE'"),
        ({"hmac_key": b"123"}, "RedactionConfig.hmac_key: key is 3 bytes"),
    ],
)
def test_bad_code_config_names_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as error:
        RedactionConfig(**kwargs)  # type: ignore[arg-type]
    assert str(error.value).startswith(message)


def test_presidio_setting_without_the_extra_is_a_clear_error() -> None:
    try:
        import presidio_analyzer  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("presidio-analyzer is installed here; tests/privacy/test_privacy_presidio.py covers it")
    with pytest.raises(ValueError, match=r"^LLMOTEL_REDACTION_PRESIDIO: presidio-analyzer is not installed"):
        RedactionConfig.from_env({"LLMOTEL_REDACTION_PRESIDIO": "PERSON"})
