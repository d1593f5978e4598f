"""SDK configuration from arguments and ``AGENTTRACE_*`` environment variables."""

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

EXPORTERS = ("http", "udp", "unix", "console")

_FALSE = ("0", "false", "no", "off")

#: Environment variable for each configuration field that has one.
ENV_VARS = {
    "endpoint": "AGENTTRACE_ENDPOINT",
    "exporter": "AGENTTRACE_EXPORTER",
    "udp_addr": "AGENTTRACE_UDP_ADDR",
    "socket_path": "AGENTTRACE_SOCKET",
    "api_key": "AGENTTRACE_API_KEY",
    "service_name": "AGENTTRACE_SERVICE_NAME",
    "capture_content": "AGENTTRACE_CAPTURE_CONTENT",
    "disabled": "AGENTTRACE_DISABLED",
}


def _default_service_name() -> str:
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    name = os.path.splitext(script)[0]
    return name if name and name != "-c" else "agenttrace-python"


@dataclass
class Config:
    """Everything the client needs; build it with :meth:`Config.resolve`.

    Attributes:
        endpoint: base URL of the collector's native HTTP receiver; sessions use
            it with every exporter but unix and console.
        exporter: ``http``, ``udp``, ``unix``, ``console``, or an
            :class:`~agenttrace.exporters.Exporter` instance of your own.
        udp_addr: ``host:port`` of the collector's UDP receiver.
        socket_path: path of the collector's unix socket (HTTP framing).
        api_key: the ingest key: sent as ``Authorization: Bearer <key>`` on
            HTTP and unix-socket requests, and in every UDP datagram's
            ``SpanBatch.api_key``. The collector stores the spans under the
            key's project.
        service_name: becomes the resource's ``service.name``.
        capture_content: record prompts, responses and tool arguments.
        disabled: keep the API working but send nothing.
        max_content_chars: prompt, response and tool input/output are cut to this.
        max_queue_size: span records held for export; more are dropped and counted.
        max_batch_size: span records per export request.
        schedule_delay: seconds between two exports when the queue is not full.
        timeout: seconds for one network request.
        send_span_start: also send a RUNNING copy of each span when it starts.
        framework, framework_version, agent_name, user_id: defaults for spans.
        console_stream: where the console exporter writes (``sys.stdout`` if None).
    """

    endpoint: str = "http://127.0.0.1:4321"
    exporter: Any = "http"
    udp_addr: str = "127.0.0.1:4322"
    socket_path: str = "/tmp/agenttrace.sock"
    api_key: str = ""
    service_name: str = field(default_factory=_default_service_name)
    capture_content: bool = True
    disabled: bool = False
    max_content_chars: int = 8192
    max_queue_size: int = 4096
    max_batch_size: int = 256
    schedule_delay: float = 0.2
    timeout: float = 2.0
    send_span_start: bool = True
    framework: str = ""
    framework_version: str = ""
    agent_name: str = ""
    user_id: str = ""
    console_stream: Any = None

    @classmethod
    def resolve(cls, environ: Optional[Mapping[str, str]] = None, **overrides: Any) -> "Config":
        """Defaults, then environment variables, then explicit arguments.

        Empty environment variables and None arguments count as unset.

        Raises TypeError for an unknown argument and ValueError for a bad value.
        """
        env = os.environ if environ is None else environ
        values: Dict[str, Any] = {}
        for name, var in ENV_VARS.items():
            raw = env.get(var)
            if raw is not None and raw.strip():
                values[name] = raw.strip()
        names = {f.name for f in dataclasses.fields(cls)}
        for name, value in overrides.items():
            if name not in names:
                raise TypeError("unknown AgentTrace option %r" % name)
            if value is not None:
                values[name] = value
        config = cls(**values)
        config._normalize()
        return config

    def _normalize(self) -> None:
        self.capture_content = _as_bool(self.capture_content)
        self.disabled = _as_bool(self.disabled)
        self.send_span_start = _as_bool(self.send_span_start)
        if isinstance(self.exporter, str):
            self.exporter = self.exporter.strip().lower()
        if isinstance(self.exporter, str) and self.exporter not in EXPORTERS:
            raise ValueError("exporter must be one of %s, not %r" % (", ".join(EXPORTERS), self.exporter))
        self.endpoint = str(self.endpoint).rstrip("/")
        if "://" not in self.endpoint:
            self.endpoint = "http://" + self.endpoint
        self.udp_host_port()  # validates
        for name in ("max_content_chars", "max_queue_size", "max_batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError("%s must be positive" % name)
            setattr(self, name, int(getattr(self, name)))

    def udp_host_port(self) -> Tuple[str, int]:
        """Split :attr:`udp_addr` into host and port (IPv6 hosts in brackets)."""
        host, sep, port = self.udp_addr.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError("udp_addr must be host:port, not %r" % self.udp_addr)
        return host.strip("[]") or "127.0.0.1", int(port)


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    return bool(value)
