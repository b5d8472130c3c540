"""The indicator cube: values per measure, area, month and breakdown, kept current by the
consumer in the transactions that change the projections."""
