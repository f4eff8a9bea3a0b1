"""Attacks replayed against the public API and the database, each by the name the review gave it.

The API fixtures (a migrated database per run, the small world, clients) are the API suite's own.
"""

from tests.api.conftest import *  # noqa: F403
