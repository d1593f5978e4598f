"""Auto-instrumentation of LLM client libraries (``anthropic``, ``openai``) when installed."""

from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, Optional

from .._log import logger
from . import anthropic_messages, openai_chat
from .patching import Provider, patch_provider, unpatch_provider

if TYPE_CHECKING:
    from ..client import AgentTrace

PROVIDERS: Dict[str, Provider] = {
    "anthropic": anthropic_messages.PROVIDER,
    "openai": openai_chat.PROVIDER,
}


def instrument(client: "Optional[AgentTrace]" = None, providers: Optional[Iterable[str]] = None) -> List[str]:
    """Patch the installed provider clients so every call is an LLM span.

    Covers ``anthropic`` ``Messages.create`` / ``AsyncMessages.create`` and
    ``openai`` ``Completions.create`` / ``AsyncCompletions.create``, with
    ``stream=True``. Spans go to ``client`` (default: the process-wide client
    at call time). Returns the names of the providers patched.
    """
    from ..client import get_client

    get: "Callable[[], AgentTrace]" = get_client
    if client is not None:
        chosen = client
        get = lambda: chosen  # noqa: E731
    done = []
    for name in providers or PROVIDERS:
        provider = PROVIDERS.get(name)
        if provider is None:
            logger.warning("agenttrace: no instrumentation for %r (known: %s)", name, ", ".join(PROVIDERS))
        elif patch_provider(provider, get):
            done.append(name)
    return done


def uninstrument(providers: Optional[Iterable[str]] = None) -> None:
    """Restore the original provider methods."""
    for name in providers or PROVIDERS:
        if name in PROVIDERS:
            unpatch_provider(PROVIDERS[name])
