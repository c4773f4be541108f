"""The dashboard's screens: overview, trace view, review queue, matrix."""
