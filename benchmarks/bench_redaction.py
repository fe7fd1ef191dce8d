"""CPU time of SDK-side redaction on a 4 KB mixed Korean/English prompt, paired against a baseline.

    make bench-privacy                                  # or, with the project's Python:
    PYTHONPATH=src python benchmarks/bench_redaction.py [--quick] [--rounds N]

Each round times a block of calls of every variant in shuffled order with `time.process_time_ns`
(CPU time, so other jobs on a shared machine inflate it less than wall time) and reports the
median over rounds. The baseline is the work content capture does anyway: `json.dumps` of the
same messages into the `gen_ai.input.messages` attribute value. Bar (issue 5): at most 200 us per
4 KB prompt with the default preset; exit status 1 when it fails (never with --quick). With
content capture off the instrumentation never calls the redactor, so that cost is zero by
construction; the `off` row shows what a call costs when redaction itself is switched off.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from llmotel.privacy import RedactionConfig, RedactionCounts, Redactor  # noqa: E402

BAR_US_PER_4KB = 200.0
PROMPT_BYTES = 4096

# A support conversation as users write it: Korean and English, numbers everywhere (dates,
# prices, token counts, versions, an order id), a code block, and a few real PII values.
_PARAGRAPHS = [
    "안녕하세요, 지난주 금요일(2024-11-15)에 주문한 상품에 대해 문의드립니다. 주문번호는 ORD-2024-118822이고, "
    "결제 금액은 ₩129,000 이었어요. 배송은 3일 걸린다고 안내받았는데 아직 도착하지 않았습니다.",
    "Hi team, following up on ticket #48213. The dashboard shows p95 latency of 812 ms for gpt-4o-mini-2024-07-18 "
    "and 1,240 ms for claude-sonnet-4-5-20250929; we sent 15,320 input tokens and 2,048 output tokens per call.",
    "담당자 연락처는 010-2345-6789 이고, 급한 경우 사무실 02-312-4567 로 전화 주세요. "
    "메일은 minji.park@example.co.kr 로 보내주시면 됩니다.",
    "```python\nclient = OpenAI(timeout=30, max_retries=3)\nresp = client.chat.completions.create(\n"
    '    model="gpt-4o-mini", temperature=0.2, max_tokens=1024,\n)\nprint(resp.usage.total_tokens)\n```',
    "버전 정보: llmotel 0.3.1, openai 3.51.0, Python 3.11.7. 서버는 서울 리전(ap-northeast-2)에서 "
    "10시 30분부터 11시 15분까지 약 45분간 응답이 느렸습니다. 재시도는 최대 5회로 설정했어요.",
    "Could you also check invoice INV-20241122-0042 (USD 1,234.56, due 2024-12-01)? "
    "The customer asked us to call back at +1 415 555 0132 after 9 AM PST.",
    "요약하면 1) 배송 지연 2) 응답 지연 3) 청구서 확인 세 가지입니다. 빠른 답변 부탁드립니다. 감사합니다!",
]


def build_prompt() -> str:
    text = ""
    index = 0
    while len(text.encode("utf-8")) < PROMPT_BYTES:
        text += _PARAGRAPHS[index % len(_PARAGRAPHS)] + "\n\n"
        index += 1
    encoded = text.encode("utf-8")[:PROMPT_BYTES]
    return encoded.decode("utf-8", errors="ignore")


def plain_prose(size: int) -> str:
    """Digit-free prose without `@` or secret prefixes: the fast path."""
    words = "안녕하세요 오늘 날씨가 좋네요 please summarise the meeting notes and list the open questions".split()
    rnd = random.Random(7)
    text = ""
    while len(text.encode("utf-8")) < size:
        text += rnd.choice(words) + " "
    return text.encode("utf-8")[:size].decode("utf-8", errors="ignore")


def messages_for(prompt: str) -> list[dict[str, object]]:
    return [
        {
            "role": "system",
            "parts": [{"type": "text", "content": "You are a helpful support agent. 한국어로 답하세요."}],
        },
        {"role": "user", "parts": [{"type": "text", "content": prompt}]},
    ]


def time_block(call: Callable[[], object], calls: int) -> float:
    """Microseconds of CPU time per call over one block."""
    start = time.process_time_ns()
    for _ in range(calls):
        call()
    return (time.process_time_ns() - start) / calls / 1000


def run_rounds(variants: dict[str, Callable[[], object]], rounds: int, calls: int, seed: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants)
    rnd = random.Random(seed)
    for name in order:  # warm caches and the regex compiler
        time_block(variants[name], max(1, calls // 4))
    for round_index in range(rounds):
        rnd.shuffle(order)
        for name in order:
            samples[name].append(time_block(variants[name], calls))
        if sys.stderr.isatty():
            print(f"\rround {round_index + 1}/{rounds}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return samples


def adversarial_inputs() -> dict[str, str]:
    """Shapes that make naive patterns backtrack; redaction must stay linear in their length."""
    size = 64 * 1024
    return {
        "64KB word run + @": "a" * (size - 1) + "@",
        "64KB digits and spaces": "1 " * (size // 2),
        "64KB dashed digits": "1-" * (size // 2),
        "64KB base64 media": base64.b64encode(os.urandom(size * 3 // 4)).decode(),
        "64KB repeated PEM BEGIN lines": ("-----BEGIN PRIVATE KEY-----" * (size // 27))[:size] + " x",
        "64KB repeated eyJ / sk- prefixes": ("eyJsk-" * (size // 6))[:size] + " x",
        "64KB colons and digits": "1:" * (size // 2),
        "64KB mixed prompt x16": build_prompt() * 16,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short run for CI: prints the figures, exit 0")
    parser.add_argument("--rounds", type=int, help="paired rounds (default: 8 quick, 30 full)")
    parser.add_argument("--seed", type=int, default=20261122, help="seed of the shuffled variant order")
    parser.add_argument("--output", type=Path, help="JSON results path (default: $LLMOTEL_CACHE/bench/...)")
    args = parser.parse_args()
    rounds = args.rounds if args.rounds is not None else (8 if args.quick else 30)
    if rounds < 1:
        parser.error(f"--rounds must be a positive whole number, got {rounds}")
    calls = 50 if args.quick else 200

    prompt = build_prompt()
    messages = messages_for(prompt)
    prose = plain_prose(PROMPT_BYTES)
    short_prose = plain_prose(200)
    default = Redactor()
    strict = Redactor(RedactionConfig(preset="strict"))
    off = Redactor(RedactionConfig(preset="off"))
    hmac = Redactor(RedactionConfig(hmac_key=b"bench-key-0123456789abcdef"))

    counts = RedactionCounts()
    redacted = default.redact_text(prompt, counts)
    variants: dict[str, Callable[[], object]] = {
        "baseline: json.dumps(messages)": lambda: json.dumps(messages, ensure_ascii=False),
        "redact_text 4KB, default": lambda: default.redact_text(prompt, RedactionCounts()),
        "redact_text 4KB, strict": lambda: strict.redact_text(prompt, RedactionCounts()),
        "redact_text 4KB, default + HMAC": lambda: hmac.redact_text(prompt, RedactionCounts()),
        "redact_json messages, default": lambda: default.redact_json(messages, RedactionCounts()),
        "redact_text 4KB plain prose (fast path)": lambda: default.redact_text(prose, RedactionCounts()),
        "redact_text 200B plain prose (fast path)": lambda: default.redact_text(short_prose, RedactionCounts()),
        "redact_text 4KB, preset off": lambda: off.redact_text(prompt, RedactionCounts()),
    }
    print(f"prompt: {len(prompt.encode('utf-8'))} bytes, {len(prompt)} characters, {counts.total} values redacted")
    print(f"        {counts.as_dict()}")
    print(f"rounds {rounds} x {calls} calls per variant, CPU time per call (median over rounds)")
    samples = run_rounds(variants, rounds, calls, args.seed)

    baseline_name = "baseline: json.dumps(messages)"
    results: dict[str, dict[str, float]] = {}
    for name, values in samples.items():
        ratios = [value / base for value, base in zip(values, samples[baseline_name])]
        results[name] = {
            "median_us": statistics.median(values),
            "p90_us": sorted(values)[int(0.9 * (len(values) - 1))],
            "ratio_to_baseline": statistics.median(ratios),
        }
        print(
            f"  {name:42s} {results[name]['median_us']:8.1f} us   p90 {results[name]['p90_us']:8.1f}"
            f"   x{results[name]['ratio_to_baseline']:5.2f} baseline"
        )

    print("linearity on adversarial inputs (default preset, one call each, CPU time):")
    adversarial: dict[str, float] = {}
    for name, text in adversarial_inputs().items():
        spent = min(time_block(lambda text=text: default.redact_text(text), 1) for _ in range(3))
        adversarial[name] = spent
        per_kb = spent / (len(text.encode("utf-8")) / 1024)
        print(f"  {name:42s} {spent / 1000:8.2f} ms   {per_kb:6.1f} us/KB")

    figure = results["redact_text 4KB, default"]["median_us"]
    passed = figure <= BAR_US_PER_4KB
    print(
        f"bar: redact_text of a 4 KB mixed prompt <= {BAR_US_PER_4KB:.0f} us: {figure:.1f} us -> "
        f"{'PASS' if passed else 'FAIL'}"
    )
    assert redacted != prompt, "the benchmark prompt must contain values to redact"

    output = args.output or Path(os.environ.get("LLMOTEL_CACHE", Path.home() / ".cache" / "llmotel")) / "bench" / (
        f"redaction-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "load_average": os.getloadavg(),
                "rounds": rounds,
                "calls_per_block": calls,
                "prompt_bytes": len(prompt.encode("utf-8")),
                "results": results,
                "adversarial_us": adversarial,
                "bar_us": BAR_US_PER_4KB,
                "passed": passed,
            },
            indent=2,
        )
    )
    print(f"results: {output}")
    return 0 if passed or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
