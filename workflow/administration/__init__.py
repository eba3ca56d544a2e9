"""Reference data and accounts: units, people, users, campaigns, the calendar, imports, preferences, the demo
department."""
