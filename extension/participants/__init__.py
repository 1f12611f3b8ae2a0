"""What people record in the app for themselves: a meeting reply, a task done."""
