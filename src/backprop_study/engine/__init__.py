"""The engine: run settings, encodings, the reference network and its numba fast path,
training, schedules, run files and the `train` command. Imports nothing above it."""
