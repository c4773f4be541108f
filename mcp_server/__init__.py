"""Switchboard's MCP server: lets coding agents route, delegate, ask for consensus, watch their
budget and rate results, as a thin client of the daemon (``daemon.client``).

Served over stdio by ``switchboard mcp`` (``python -m mcp_server``), and over streamable HTTP at
``/mcp`` on the daemon's loopback listener (``daemon.api.mcp_http``). Importing this package is
cheap; the MCP SDK is imported by ``mcp_server.server`` only when a server is built.
"""

SERVER_NAME = "switchboard"
