"""Exceptions raised by the market-data connectors, the upload parser and the services; messages are safe to show."""


class DataSourceError(Exception):
    """A data provider could not give us what we asked for. The message names the source and never holds a key."""

    def __init__(self, message: str, *, source: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.status = status


class DataSourceAuthError(DataSourceError):
    """The provider rejected the API key (or the key's plan); retrying cannot help."""


class DataSourceRateLimited(DataSourceError):
    """The provider kept answering 429 after our retries, or asked us to wait longer than we are willing to."""


class DataSourceNotFound(DataSourceError):
    """The provider answered 404, or the requested symbol or series does not exist."""


class DataSourceKeyMissing(DataSourceError):
    """Neither the team nor the server has a key for the provider; the message says where to set one."""


class UploadInvalid(ValueError):
    """An uploaded file was rejected; `errors` lists every problem found, each naming its line where it has one."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = list(errors)


class FetchInvalid(ValueError):
    """A fetch, watch-list, key or search request has problems; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors
