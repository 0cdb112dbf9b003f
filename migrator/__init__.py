"""migrator: a declarative, YAML-driven database migrator."""

__version__ = "0.1.0"
