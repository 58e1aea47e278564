"""Adapters: the outside world (stores, HTTP) plugged into the domain's ports."""
