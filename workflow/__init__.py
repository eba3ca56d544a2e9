"""Rules, permissions and the transition service. Knows nothing of Flask: callers pass a session and an actor."""
