"""The task domain: entities, rules and the store port. Imports nothing outside the standard library."""
