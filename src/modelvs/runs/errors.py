"""Errors of the runs package, on the modelvs exception tree."""

from __future__ import annotations

from modelvs.errors import ModelvsError, UsageError


class EndpointsFileError(ModelvsError):
    """The endpoints registry file cannot be read or is invalid."""


class UnknownEndpointError(UsageError):
    """A run or command names an endpoint that the registry does not contain."""

    http_status = 404


class SuiteError(UsageError):
    """A prompt suite file is missing, unreadable or invalid."""


class RunNotFoundError(UsageError):
    """No stored run has this id."""

    http_status = 404


class ResumeMismatchError(UsageError):
    """A resume request disagrees with the stored run (suite, endpoints or sampling)."""


class MissingApiKeyError(UsageError):
    """An endpoint's API key variable is not set in the environment."""


class RunStorageError(ModelvsError):
    """A run could not write its finished items to the database, even after waiting."""


class StoredRunError(ModelvsError):
    """A stored run cannot be read back."""
