"""mcpctl: a command-line toolbox for talking to MCP servers."""

__version__ = "0.1.0"
