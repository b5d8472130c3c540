"""Read models (projections) of the domain events, one row per entity, newest revision wins."""
