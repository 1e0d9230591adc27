"""Errors that are the user's to fix: the CLI prints them as one line and exits with status 2."""


class UserError(Exception):
    """Bad input (an option, a config value, a file): the message names it and what is allowed."""


class ConfigError(UserError, ValueError):
    """A setting is out of range or of the wrong kind."""


class RunFileError(UserError, OSError):
    """A run's Parquet file is missing, corrupt or not ours."""
