"""Pages of the propagation area: stories and the public showcase."""
