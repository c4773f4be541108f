"""The Switchboard dashboard: a Textual app over the daemon's local API and live event stream.

It imports only ``daemon.client``, ``daemon.wire``, ``daemon.errors`` and ``daemon.paths``
(import-linter enforces it), so it starts fast and never touches the daemon's internals.
"""
