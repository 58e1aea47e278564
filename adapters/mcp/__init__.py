"""The MCP driving adapter: the task use cases as tools for AI agents (stdio and streamable HTTP)."""
