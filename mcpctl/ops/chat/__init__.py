"""``mcpctl chat``: a model uses the servers' tools through the toolkit (``loop``), via two APIs (``providers``)."""
