"""The study: the config's experiments and their grid of runs, and aggregation into tables.
Imports only the engine and the analyses."""
