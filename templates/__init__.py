"""The network templates shipped with the app: one folder per template with template.yml and its documents."""
