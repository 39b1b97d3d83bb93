"""Export and bulk import of the registry (CSV, JSON, XLSX, a Frictionless data package).

The column layouts live in :mod:`victims.exchange.columns` (documented in ``docs/import-format.md``),
the writers in :mod:`victims.exchange.exports` and :mod:`victims.exchange.datapackage`, the importer
in :mod:`victims.exchange.imports` (its steps in :mod:`victims.exchange.importing`).
"""
