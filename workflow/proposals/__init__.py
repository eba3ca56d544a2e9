"""Proposals to the Minister (Tờ trình) and the decisions (Quyết định) that recognise examples."""
