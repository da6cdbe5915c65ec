"""The version of mcpctl (one place: the package metadata and ``mcpctl --version`` read it)."""

__version__ = "0.1.0"
