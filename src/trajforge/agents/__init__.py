"""Who acts: scripted experts, mistake injection, LLM agents, humans, simulated users."""
