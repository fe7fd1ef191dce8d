"""A Korean customer-support agent: an agent span around LLM calls and a tool call, with personal data in the prompts.

    export OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_AND_EVENT
    opentelemetry-instrument python examples/support_bot.py

It shows the manual tracing API (invoke_workflow > invoke_agent > chat / execute_tool) and what redaction does to
captured content: the customer's phone number, email and resident registration number never leave the process.
The values are synthetic.
"""

from __future__ import annotations

import json

import anthropic
import openai

import llmotel

CUSTOMER_MESSAGE = (
    "안녕하세요, 주문한 노트북이 아직 안 왔어요. 제 연락처는 010-2345-6789, "
    "이메일은 jiwoo.park@example.com 이고 주민등록번호는 900101-1234568 입니다. 배송 조회 부탁드려요."
)
LOOKUP_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Find a customer's latest order by phone number",
        "parameters": {"type": "object", "properties": {"phone": {"type": "string"}}, "required": ["phone"]},
    },
}


def lookup_order(phone: str) -> dict[str, str]:
    return {"order_id": "ORD-2026-11-0042", "status": "배송 중", "phone": phone}


@llmotel.invoke_agent("support-agent", description="Answers delivery questions")
def answer(customer_message: str) -> str:
    gpt = openai.OpenAI()
    first = gpt.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You are a support agent. Use lookup_order to find the order."},
            {"role": "user", "content": customer_message + " lookup_order please"},
        ],
        tools=[LOOKUP_TOOL],
    )
    message = first.choices[0].message
    results = []
    for tool_call in message.tool_calls or []:
        arguments = json.loads(tool_call.function.arguments)
        with llmotel.execute_tool(tool_call.function.name, call_id=tool_call.id):
            results.append((tool_call.id, lookup_order(arguments.get("phone", "010-2345-6789"))))
    claude = anthropic.Anthropic()
    summary = claude.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=300,
        system="Summarise the order status for the customer in Korean.",
        messages=[
            {
                "role": "user",
                "content": f"{customer_message}\n주문 조회 결과: {json.dumps(results, ensure_ascii=False)}",
            }
        ],
    )
    return "".join(block.text for block in summary.content if block.type == "text")


def main() -> None:
    with llmotel.invoke_workflow("customer-support"), llmotel.conversation("ticket-7781", user_id="customer-311"):
        print(answer(CUSTOMER_MESSAGE))


if __name__ == "__main__":
    main()
