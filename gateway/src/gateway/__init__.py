"""Sinergi API gateway: OAuth2 client credentials, the client registry, routing to the
domain services and one OpenAPI document of the whole public surface."""
