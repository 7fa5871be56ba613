"""The package version (its own module, so no submodule imports `sim` for it)."""

__version__ = "0.1.0"
