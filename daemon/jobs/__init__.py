"""Background jobs the app starts next to the request path: evaluation (judge and shadow answers),
telemetry (trace events, OTLP export) and retention."""
