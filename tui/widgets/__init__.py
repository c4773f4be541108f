"""The dashboard's widgets, one idea per module."""
