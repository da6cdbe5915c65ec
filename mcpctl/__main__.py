"""``python -m mcpctl``."""

from mcpctl.entry import main

if __name__ == "__main__":
    main()
