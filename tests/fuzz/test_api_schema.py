"""Schemathesis against our own OpenAPI document: no generated request gets a 500.

Anonymous requests are generated for every operation; the responses must be documented or a
clear 4xx problem, never a server error.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from onewindow.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_generated_request_is_a_server_error(case, regions):
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
