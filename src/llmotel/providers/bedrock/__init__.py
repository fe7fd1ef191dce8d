"""AWS Bedrock through boto3/botocore: Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream.

botocore builds its client methods at run time, each a call of `BaseClient._make_api_call(operation_name,
api_params)`: that one method is patched, and a router picks the operation for the four bedrock-runtime APIs; every
other AWS call passes straight through. botocore's retries run inside `_make_api_call`, so one span covers them.
boto3 has no async client (aioboto3 / aiobotocore are separate libraries, not instrumented here).
error.type of a failed call is the AWS error code (ThrottlingException, ValidationException, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from llmotel.core.errors import ErrorCode
from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.core.wrapper import WrapperFunction, routed_wrapper


def aws_error_code(exc: BaseException) -> str | None:
    """botocore's ClientError: the AWS error code (ThrottlingException), also for codes botocore has no class for."""
    response = getattr(exc, "response", None)
    code = (response.get("Error") or {}).get("Code") if isinstance(response, Mapping) else None
    return code if isinstance(code, str) and code else None


class BedrockInstrumentor(GenAIInstrumentor):
    scope = "llmotel.bedrock"
    instruments = ("botocore >= 1.40, < 2",)

    error_codes: ClassVar[Mapping[str, ErrorCode]] = {"botocore.exceptions:ClientError": aws_error_code}

    def patches(self) -> Sequence[Patch]:
        return [Patch("botocore.client", "BaseClient._make_api_call", None, make_wrapper=self._routed_wrapper)]

    def _routed_wrapper(self) -> WrapperFunction:
        from llmotel.providers.bedrock.router import BedrockRuntime  # imports botocore: only once the app does

        return routed_wrapper(self.telemetry, BedrockRuntime(), is_async=False)


__all__ = ["BedrockInstrumentor"]
