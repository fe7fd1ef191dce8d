"""Integrations with agent and tool frameworks (LangChain, the OpenAI Agents SDK, MCP).

Providers (`llmotel.providers`) record inference calls; frameworks record the workflow, agent and tool spans around
them, and leave inference to the providers so that one logical call stays one GenAI span.
"""
