"""A module of focus_cases.py, for focus names `focus_helpers:scale`."""


def scale(x):
    return sorted([x, x * 2])[-1]
