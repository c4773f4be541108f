"""The LSP bridge: routed AI completions and refactors in any editor, over ``daemon.client``.

``switchboard lsp`` (or ``python -m lsp``) speaks LSP over stdio. It imports only pygls, the
daemon's client and its wire models, so it starts fast and never loads LiteLLM, the router or
the store.
"""
