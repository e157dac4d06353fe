"""Model access behind one Protocol: OpenAI-compatible endpoints and a scripted fake model.

provider = create_provider("openai", models, ProviderContext(concurrency=64))
completion = await provider.complete(request)      # failures come back as status 'error'
"""

from papertiger.providers.base import (
    PROVIDERS,
    Provider,
    ProviderContext,
    ProviderFactory,
    RoutingProvider,
    create_provider,
    providers_for,
    register_provider,
)
from papertiger.providers.limits import EndpointGate, EndpointLimits, Limits
from papertiger.providers.openai_compat import (
    KEY_HEADER,
    Endpoint,
    OpenAICompatProvider,
    RetryHook,
    RetryPolicy,
    endpoint_limits,
    retry_after_seconds,
)
from papertiger.providers.replies import Reply, parse_json_reply
from papertiger.providers.scripted import ScriptedModel, ScriptedProvider
from papertiger.providers.sse import StreamParser
from papertiger.providers.vllm_offline import VllmEngineSpec, VllmOfflineProvider
from papertiger.providers.vllm_server import EXECUTABLE_ENV, VllmServer, VllmServeSpec, free_port

__all__ = [
    "EXECUTABLE_ENV",
    "KEY_HEADER",
    "PROVIDERS",
    "Endpoint",
    "EndpointGate",
    "EndpointLimits",
    "Limits",
    "OpenAICompatProvider",
    "Provider",
    "ProviderContext",
    "ProviderFactory",
    "Reply",
    "RetryHook",
    "RetryPolicy",
    "RoutingProvider",
    "ScriptedModel",
    "ScriptedProvider",
    "StreamParser",
    "VllmEngineSpec",
    "VllmOfflineProvider",
    "VllmServeSpec",
    "VllmServer",
    "create_provider",
    "endpoint_limits",
    "free_port",
    "parse_json_reply",
    "providers_for",
    "register_provider",
    "retry_after_seconds",
]
