"""AWS Bedrock through boto3/botocore: Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream.

botocore builds its client methods at run time, each a call of `BaseClient._make_api_call(operation_name,
api_params)`: that one method is patched, and a router picks the operation for the four bedrock-runtime APIs; every
other AWS call passes straight through. botocore's retries run inside `_make_api_call`, so one span covers them.
boto3 has no async client (aioboto3 / aiobotocore are separate libraries, not instrumented here).
error.type of a failed call is the AWS error code (ThrottlingException, ValidationException, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

from llmotel.core.errors import register_error_code
from llmotel.core.instrumentor import GenAIInstrumentor, Patch
from llmotel.core.wrapper import routed_wrapper


class BedrockInstrumentor(GenAIInstrumentor):
    scope = "llmotel.bedrock"
    instruments = ("botocore >= 1.40, < 2",)

    def patches(self) -> Sequence[Patch]:
        from llmotel.providers.bedrock.router import BedrockRuntime  # imports botocore: only once it is required

        wrapper = routed_wrapper(self.telemetry, BedrockRuntime(), is_async=False)
        return [Patch("botocore.client", "BaseClient._make_api_call", None, wrapper=wrapper)]

    def _after_instrument(self) -> None:
        from botocore.exceptions import ClientError

        from llmotel.providers.bedrock.router import aws_error_code

        register_error_code(ClientError, aws_error_code)

    def _after_uninstrument(self) -> None:
        from botocore.exceptions import ClientError

        register_error_code(ClientError, None)


__all__ = ["BedrockInstrumentor"]
