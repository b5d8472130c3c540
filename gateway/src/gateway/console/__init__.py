"""The web console: pages for people (regional officers, ministry analysts, administrators)
served by the gateway, on the same API and under the same scopes and regions as its clients."""
