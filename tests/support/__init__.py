"""Shared helpers for the Python suites that drive Steward's binaries (see steward.py)."""

from .steward import (  # noqa: F401
    DEFAULT_TEST_DATABASE_URL,
    FIXTURE_SCRIPTS,
    GENERATED_FIXTURES,
    ROOT,
    Response,
    ScratchCluster,
    Stewardd,
    StewarddError,
    TestDatabase,
    admin_database_url,
    bin_dir,
    binary,
    free_port,
    http,
    new_token,
    probe,
    rss_kib,
    wait_until,
)
