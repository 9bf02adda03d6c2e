"""schemathesis over the five served OpenAPI documents, every check, bounded and reproducible.

Each operation of each document gets schemathesis' examples, coverage and fuzzing phases (at most 50 generated
examples an operation, a fixed seed, derandomized), every response checked with not_a_server_error,
response_schema_conformance, status_code_conformance, content_type_conformance, negative_data_rejection,
positive_data_acceptance and unsupported_method; Taplytics, the document with links (inferred from its responses:
a created user or push, then read or deleted by id), also gets the stateful phase. The app runs in-process (WSGI)
and every case starts from the start-up state, so a failure's report ends with a curl command that replays it on
a ``mock-server`` started afresh (port 8080; the development credentials are not filtered out of it). Valid cases
carry the development credentials (the security schemes) and objects (Countly's app, Cyfe's widget).

Rules the documents state in words, because neither JSON Schema nor OpenAPI can say them (key order, rules across
parameters, the clock, sizes), are applied to the *valid* cases before they are sent, so that a case the documented
rule makes invalid is not taken for valid data; invalid cases go as generated:

- Cyfe: the first key of each data row is its element. Rows are ordered as the rule says (Date first, else the
  label whose value is not a number); a case no order makes valid (two labels with non-numeric values, a Date that
  is no real date, an option naming a metric not in data) is left out.
- reports: start_date is not after end_date: the two are swapped; an instant out of years 1 to 9999 in UTC is left
  out.
- Taplytics: a user is addressed by user_id or email, not both, and a body names the user its query addresses;
  DELETE /v2/users needs one of them; a paginationToken is one the server issued (left out); a push is scheduled
  in the future.
- every service: a request target within the server's limit (``MAX_URL``; longer is a 414).

StatHat answers its own errors with HTTP 200 and the status in the body (the document says so): its replies to
invalid data are checked by negative_data_rejection on that in-body status, the status StatHat signals; every other
check reads the HTTP status.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response

from mock_server import create_app
from mock_server.errors import MAX_URL
from mock_server.openapi import build
from mock_server.services.countly.backend import DEV_API_KEY, DEV_APP_ID, DEV_APP_KEY
from mock_server.services.cyfe.backend import DEV_WIDGET
from mock_server.services.reports.backend import DEV_TOKEN as REPORTS_TOKEN
from mock_server.services.stathat.backend import DEV_CLASSIC, DEV_EZKEY
from mock_server.services.taplytics.backend import DEV_TOKEN as TAPLYTICS_TOKEN

CHECK_NAMES = ["not_a_server_error", "response_schema_conformance", "status_code_conformance",
               "content_type_conformance", "negative_data_rejection", "positive_data_acceptance",
               "unsupported_method"]
AUTH = {  # the development credentials, by the security scheme of each service's document
    "stathat": {"ezkey": {"api_key": DEV_EZKEY}, "counter_key": {"api_key": DEV_CLASSIC[0]["key"]},
                "value_key": {"api_key": DEV_CLASSIC[1]["key"]}, "ukey": {"api_key": DEV_CLASSIC[0]["ukey"]}},
    "countly": {"app_key": {"api_key": DEV_APP_KEY}, "api_key": {"api_key": DEV_API_KEY}},
    "taplytics": {"api_token": {"api_key": TAPLYTICS_TOKEN}},
    "reports": {"bearer": {"bearer": REPORTS_TOKEN}},
}
#: The development objects, so that valid cases reach the rules behind the credentials: the app that app_key and
#: api_key open (and that a reset names), and the widget of the push key.
PARAMETERS = {
    "countly": {"app_id": DEV_APP_ID, "args": json.dumps({"app_id": DEV_APP_ID})},
    "cyfe": {"widget_key": DEV_WIDGET},
}


def config(service: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": 20261203,
        "base-url": REPLAY,
        "generation": {"max-examples": 50, "deterministic": True},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECK_NAMES}},
        "output": {"sanitization": {"enabled": False}},
        **({"auth": {"openapi": AUTH[service]}} if service in AUTH else {}),
        **({"parameters": PARAMETERS[service]} if service in PARAMETERS else {}),
    })


APP = create_app()
KIT = APP.extensions["analytics_api_kit"]
#: Where the curl of a failure points: ``mock-server`` started afresh (port 8080) replays it.
REPLAY = "http://127.0.0.1:8080"


def _schema(service: str) -> Any:
    return schemathesis.openapi.from_dict(build(APP, service), config=config(service))


stathat, cyfe, countly, reports, taplytics = map(_schema, ("stathat", "cyfe", "countly", "reports", "taplytics"))
SETTINGS = hypothesis.settings(suppress_health_check=list(hypothesis.HealthCheck), deadline=None)


def _positive(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def _call(case: Case) -> Response:
    # Every case starts from the start-up state, so that its curl replays it on a fresh server and no case
    # meets what an earlier one stored (an email another generated user already has is a 402).
    KIT.reset()
    if _positive(case):  # data is valid within the server's documented size limits (a longer target is a 414)
        hypothesis.assume(len(case.as_curl_command()) < MAX_URL)
    return case.call(app=APP)


# -- the documented rules JSON Schema cannot say ---------------------------------------------------------------
def _numeric(value: object) -> bool:
    from schemas.cyfe import parse_value

    try:
        parse_value(value)
    except ValueError:
        return False
    return True


def cyfe_rows_in_order(case: Case) -> bool:
    """Order each row's keys as Cyfe's rule says; False where no order makes the case valid."""
    from schemas.cyfe import parse_date

    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return True
    rows = []
    for row in body["data"]:
        if not isinstance(row, dict) or not row:
            return True
        labels = list(row)
        words = [k for k in labels if not _numeric(row[k])]
        element = "Date" if "Date" in row else (words[0] if words else labels[0])
        if any(k != element for k in words):
            return False
        if element == "Date":  # a real date, as the description says
            try:
                parse_date(str(row["Date"]))
            except ValueError:
                return False
        rows.append({element: row[element], **{k: v for k, v in row.items() if k != element}})
    metrics = {k for row in rows for k in list(row)[1:]}
    for option, per_metric in body.items():
        if option != "data" and isinstance(per_metric, dict) and not set(per_metric) <= metrics:
            return False
    case.body = {**body, "data": rows}
    return True


def reports_window_in_order(case: Case) -> bool:
    """start_date not after end_date (the description's rule; OpenAPI has no rule across parameters); each instant
    within years 1 to 9999 in UTC (an offset can carry a date-time out of them)."""
    from schemas import RuleError
    from schemas.reports import parse_instant

    query = case.query if isinstance(case.query, dict) else {}
    try:
        start, end = parse_instant(query["start_date"], "start_date"), parse_instant(query["end_date"], "end_date")
    except KeyError:
        return True
    except RuleError:
        return False
    if start > end:
        query["start_date"], query["end_date"] = query["end_date"], query["start_date"]
    return True


def taplytics_user_by_one_key(case: Case) -> bool:
    """A user is addressed by user_id or email, not both (a 400); DELETE /v2/users needs one of them. A
    paginationToken is one the server issued (passed back as is), which no generator can make. A body's user_id
    or email is the query's that addresses the user (a different one is a rename, of a user that exists). A push's
    schedule is in the future."""
    query = case.query if isinstance(case.query, dict) else {}
    query.pop("paginationToken", None)
    if "user_id" in query and "email" in query:
        del query["email"]
    if case.method == "DELETE" and case.path == "/taplytics/v2/users" and not {"user_id", "email"} & set(query):
        return False
    if case.method == "POST" and isinstance(case.body, dict):  # the body names the user the query addresses
        for key in ("user_id", "email"):
            if key in query and key in case.body:
                case.body[key] = query[key]
    schedule = case.body.get("schedule") if case.path == "/taplytics/v2/push" and isinstance(case.body, dict) else None
    if isinstance(schedule, dict):  # a push is scheduled in the future (a rule of the clock, not of the shape)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return all(str(schedule[key]).rstrip("Z") > now for key in ("time", "local_time") if key in schedule)
    return True


# -- the tests --------------------------------------------------------------------------------------------------
@stathat.parametrize()
@hypothesis.settings(SETTINGS)
def test_stathat(case: Case) -> None:
    response = _call(case)
    negative = CHECKS.get_one("negative_data_rejection")
    case.validate_response(response, excluded_checks=[negative])
    in_body = copy.copy(response)
    try:
        status = json.loads(response.content).get("status")
    except (ValueError, AttributeError):
        status = None
    if response.status_code == 200 and isinstance(status, int):
        in_body.status_code = status  # StatHat's own errors: HTTP 200, the status in the body
    case.validate_response(in_body, checks=[negative])


@cyfe.parametrize()
@hypothesis.settings(SETTINGS)
def test_cyfe(case: Case) -> None:
    if _positive(case):
        hypothesis.assume(cyfe_rows_in_order(case))
    case.validate_response(_call(case))


@countly.parametrize()
@hypothesis.settings(SETTINGS)
def test_countly(case: Case) -> None:
    case.validate_response(_call(case))


@reports.parametrize()
@hypothesis.settings(SETTINGS)
def test_reports(case: Case) -> None:
    if _positive(case):
        hypothesis.assume(reports_window_in_order(case))
    case.validate_response(_call(case))


@taplytics.parametrize()
@hypothesis.settings(SETTINGS)
def test_taplytics(case: Case) -> None:
    if _positive(case):
        hypothesis.assume(taplytics_user_by_one_key(case))
    case.validate_response(_call(case))


def test_documents_are_the_served_ones(http: httpx.Client) -> None:
    for service in ("stathat", "cyfe", "countly", "reports", "taplytics"):
        assert http.get(f"/_admin/openapi/{service}.json").json() == build(APP, service)



# -- the stateful phase -----------------------------------------------------------------------------------------
def _stateful(schema: Any) -> Any:
    """schemathesis' state machine over the document's links (and those it infers from the responses)."""
    machine: Any = schema.as_state_machine()

    class Machine(machine):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            KIT.reset()

        def call(self, case: Case, **kwargs: Any) -> Response:
            if _positive(case):  # the same documented rules as above
                hypothesis.assume(taplytics_user_by_one_key(case))
            return case.call(app=APP)

    return Machine


@pytest.mark.parametrize("service", ["taplytics"])
def test_stateful(service: str) -> None:
    """Taplytics is the document with links (a created user or push, then read or deleted by its id)."""
    machine = _stateful(taplytics)
    assert machine.bundles, "no links"
    machine.run(settings=hypothesis.settings(SETTINGS, max_examples=20, stateful_step_count=5, derandomize=True))
