"""Spreading recognised examples: stories, monthly introductions, the theme calendar, the public showcase."""
