"""Aggregation service: projections of the domain events and the indicators computed from them.

It learns only through events (it never reads another service's database): the consumer keeps
one read model per entity, and indicator values per region and month are computed from those
read models when asked.
"""
