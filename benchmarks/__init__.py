"""Benchmarks that print figures (requests made against the minimum, wall time); run with `make bench`."""
