"""A module of lp_workload.py (its functions are named lp_helpers:f)."""


def scale(values, factor):
    result = []
    for value in values:
        result.append(value * factor)
    return result
