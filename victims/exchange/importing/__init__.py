"""The steps of an import (:mod:`victims.exchange.imports` runs them): parsing the rows, matching
them to the registry, the duplicate gate, writing."""
