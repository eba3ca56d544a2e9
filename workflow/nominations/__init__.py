"""Nominations (hồ sơ điển hình): the lifecycle machine, its guards and eligibility rules, the transition service, the
list and its exports."""
