"""The daemon process: its listeners (``server``), its lifespan (the services and the background jobs),
and the tuning of its interpreter (``heap``, ``event_loop``)."""
