"""Analyses of trained runs: plateau, convergence, hidden codes, weight statistics, the
per-run summary and the tests of the seed report's claims. Imports only the engine."""
