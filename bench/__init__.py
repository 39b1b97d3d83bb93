"""Benchmarks of the memorial: pages under load, search, queries per page, admin, export and import.

Run ``make bench`` or ``python -m bench --help``; see bench/README.md.
"""
