"""Entry points: configuration, the composition root, the app factory and the `todo` command."""
