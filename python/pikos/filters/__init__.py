"""Record filters: which records a recorder writes (see pikos.filters.api)."""
