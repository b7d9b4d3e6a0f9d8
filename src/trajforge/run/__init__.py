"""Episode loop, batch runner, branching, resume."""
