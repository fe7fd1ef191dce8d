"""An ordinary LLM app with no telemetry code: run it under `opentelemetry-instrument` and llmotel traces it.

    opentelemetry-instrument python examples/chat_app.py

It reads the standard OPENAI_API_KEY / OPENAI_BASE_URL and ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL variables;
`llmotel demo` points them at the local stand-in server unless real keys are set.
"""

from __future__ import annotations

import anthropic
import openai

GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def main() -> None:
    gpt = openai.OpenAI()
    claude = anthropic.Anthropic()

    answer = gpt.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "서울 날씨 어때? Answer in one sentence."}]
    )
    print("openai chat:", answer.choices[0].message.content)

    stream = gpt.chat.completions.create(
        model=GPT,
        messages=[{"role": "user", "content": "Write a haiku about observability."}],
        stream=True,
        stream_options={"include_usage": True},
    )
    print("openai stream:", "".join(c.choices[0].delta.content or "" for c in stream if c.choices))

    tool_answer = gpt.chat.completions.create(
        model=GPT, messages=[{"role": "user", "content": "Use get_weather for Busan"}], tools=[WEATHER_TOOL]
    )
    calls = tool_answer.choices[0].message.tool_calls or []
    print("openai tool call:", [(c.function.name, c.function.arguments) for c in calls])

    message = claude.messages.create(
        model=CLAUDE, max_tokens=200, messages=[{"role": "user", "content": "Say hello to our Korean users."}]
    )
    print("anthropic:", "".join(block.text for block in message.content if block.type == "text"))

    with claude.messages.stream(
        model=CLAUDE, max_tokens=200, messages=[{"role": "user", "content": "Count to five."}]
    ) as claude_stream:
        print("anthropic stream:", "".join(claude_stream.text_stream))

    try:
        gpt.with_options(max_retries=0).chat.completions.create(
            model="standin-error-429" if "127.0.0.1" in str(gpt.base_url) else "no-such-model",
            messages=[{"role": "user", "content": "This call fails on purpose."}],
        )
    except openai.APIStatusError as error:
        print("openai error, as expected:", type(error).__name__)


if __name__ == "__main__":
    main()
