"""Pages of the reporting area: statistics and reports, the audit review."""
