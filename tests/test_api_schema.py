"""The API against its own OpenAPI document: schemathesis generates requests from the spec and
sends them to the live test server (a bounded number per operation). No answer may be a server
error, and every answer must match the documented status codes, content type and schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.public_fixtures import public_records

pytestmark = pytest.mark.slow

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_generated_requests_get_no_server_error_and_match_the_schema(live_server, settings, tmp_path):
    settings.API_RATE_LIMIT = 1_000_000  # the generated requests all come from one address
    public_records()
    schemathesis = Path(sys.executable).parent / "schemathesis"
    command = [
        str(schemathesis), "run", f"{live_server.url}/api/v1/openapi.json",
        "--checks", CHECKS, "--max-examples", "20", "--seed", "16", "--workers", "1",
        "--generation-database", "none", "--no-color", "--request-timeout", "60",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "/api/v1/people/{key}" in result.stdout
