"""``python -m mcpctl``."""

from mcpctl.cli import main

if __name__ == "__main__":
    main()
