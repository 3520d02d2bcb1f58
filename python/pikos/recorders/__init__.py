"""Recorders: where records go (see pikos.recorders.api)."""
