"""Switchboard's MCP server: lets coding agents route, delegate, ask for consensus, watch their
budget and rate results, as a thin client of the daemon (``daemon.client``).

The server (``mcp_server.server``) is served over streamable HTTP at ``/mcp`` by the daemon
(``daemon.api.mcp_http``). ``switchboard mcp`` (``python -m mcp_server``) gives it to an agent on
stdio: by default by relaying to the daemon's ``/mcp`` over its socket (``mcp_server.relay``, which
starts fast because it never loads the MCP SDK), or with ``--in-process`` by serving it in the
agent's process (``mcp_server.stdio``). Importing this package is cheap.
"""

SERVER_NAME = "switchboard"
