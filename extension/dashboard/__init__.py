"""The kartrekker's network pages: list, dashboard, actions with confirmation, progress of background runs."""
