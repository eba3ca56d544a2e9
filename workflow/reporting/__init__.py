"""What people read about the work: statistics, the plans' reports, the dashboard, the audit review."""
