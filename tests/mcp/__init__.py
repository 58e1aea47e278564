"""MCP tests: the task tools through the official SDK's client, over stdio (`todo mcp`) and streamable HTTP."""
