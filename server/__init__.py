"""thidua server: the Litestar app, accounts and authentication, and the `thidua` CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("thidua")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
