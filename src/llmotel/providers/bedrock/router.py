"""Which of botocore's API calls are Bedrock inference calls, and the operation recording each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmotel.core.adapter import Operation, Router
from llmotel.providers.bedrock import runtime
from llmotel.providers.bedrock.converse import Converse
from llmotel.providers.bedrock.invoke import FAMILIES, OTHER, InvokeModel, family_of

_INVOKE = "InvokeModel"
_INVOKE_STREAM = "InvokeModelWithResponseStream"
_OPERATIONS = frozenset(("Converse", "ConverseStream", _INVOKE, _INVOKE_STREAM))


class BedrockRuntime(Router):
    """Converse / ConverseStream, and InvokeModel / InvokeModelWithResponseStream per model family (by model id)."""

    def __init__(self) -> None:
        self._converse: dict[str, Operation] = {"Converse": Converse(), "ConverseStream": Converse(stream=True)}
        families = [family for _, family in FAMILIES] + [OTHER]
        self._invoke: dict[tuple[str, str], Operation] = {
            (name, family.name): InvokeModel(family, stream=name == _INVOKE_STREAM)
            for name in (_INVOKE, _INVOKE_STREAM)
            for family in families
        }

    def route(self, instance: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Operation | None:
        # every AWS call of the process comes here: the operation name first, a set lookup
        name = args[0] if args else kwargs.get("operation_name")
        if name not in _OPERATIONS or instance.meta.service_model.service_name != runtime.SERVICE:
            return None
        converse = self._converse.get(name)
        if converse is not None:
            return converse
        params = args[1] if len(args) > 1 else kwargs.get("api_params")
        model_id = params.get("modelId") if isinstance(params, Mapping) else None
        return self._invoke[(name, family_of(model_id).name)]
