"""Fuzz the API from its own OpenAPI document (schemathesis): valid and invalid data for every
operation. No input may cause a 5xx, and every answer must match what the document promises
(status codes, media types, schemas). Bounded: EXAMPLES_PER_OPERATION per operation and mode."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.api import create_app
from service.config import Settings
from tests.test_api_fakes import fake_pipeline, sqlite_url

pytestmark = pytest.mark.timeout(240)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 40


def test_no_input_gets_a_server_error_or_an_undocumented_answer(tmp_path: Path) -> None:
    app_settings = Settings(
        database_url=sqlite_url(tmp_path),
        data_dir=tmp_path,
        allow_open_access=True,
        wait_timeout_s=1.0,
        max_articles=50,
        max_body_bytes=300_000,
    )
    app = create_app(app_settings, pipeline=fake_pipeline(app_settings), warm_up=lambda: None)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7  # the digests operations, health, readiness, metrics

    statuses: list[int] = []
    for operation, mode in itertools.product(operations, GenerationMode):
        if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
            continue  # /healthz and friends: nothing to make invalid

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples on every run: CI must not depend on luck
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call_and_validate(checks=CHECKS)
            statuses.append(response.status_code)

        fuzz()
    counts = Counter(statuses)
    # Proof that the fuzzing reached every kind of answer: the health endpoints and at least
    # one accepted digest (200/202), schema errors (422) and unknown jobs (404).
    assert counts[202] + counts[200] >= 4 and counts[422] >= 5 and counts[404] >= 20, counts


def _has_inputs(operation: schemathesis.APIOperation) -> bool:
    return any(
        len(group) for group in (operation.path_parameters, operation.query, operation.headers)
    ) or bool(len(operation.body))
