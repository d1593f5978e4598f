"""Exporters: how span records and session calls reach the collector."""

from ..config import Config
from .base import ExportError, Exporter
from .console import ConsoleExporter
from .http import HTTPExporter, HTTPTransport
from .udp import UDPExporter

__all__ = ["ConsoleExporter", "ExportError", "Exporter", "HTTPExporter", "HTTPTransport", "UDPExporter",
           "create_exporter"]


def create_exporter(config: Config, sdk_version: str) -> Exporter:
    """Build the exporter ``config.exporter`` names (or return the instance it holds). Does no I/O."""
    if isinstance(config.exporter, Exporter):
        return config.exporter
    user_agent = "agenttrace-python/" + sdk_version
    if config.exporter == "console":
        return ConsoleExporter(config.console_stream)
    if config.exporter == "unix":
        transport = HTTPTransport(socket_path=config.socket_path, api_key=config.api_key,
                                  timeout=config.timeout, user_agent=user_agent)
        return HTTPExporter(transport, config.service_name, sdk_version)
    transport = HTTPTransport(endpoint=config.endpoint, api_key=config.api_key,
                              timeout=config.timeout, user_agent=user_agent)
    if config.exporter == "udp":
        host, port = config.udp_host_port()
        return UDPExporter(host, port, config.service_name, sdk_version, sessions=transport,
                           api_key=config.api_key)
    return HTTPExporter(transport, config.service_name, sdk_version)
