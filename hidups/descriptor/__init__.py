"""descriptor."""
