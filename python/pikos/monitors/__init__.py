"""Monitors: what records the events of a program (see pikos.monitors.api)."""
