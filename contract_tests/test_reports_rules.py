"""The reports API's rules: authentication, every parameter good and bad, the order of checks, the seed.

Every refusal is asserted with its exact status, its error code and the parameter it names, and the
body is checked against the shared error schema.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import schemas
from contract_tests.test_reports_known import API, AUTH, ENDPOINTS, EXAMPLE, EXPECTED, EXTRA, SEED, get
from sdk import AdminClient, BadRequest


def assert_error(response: httpx.Response, status: int, code: str, parameter: str | None, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert schemas.validate("reports/analytics#/$defs/error", body) == []
    assert body["error"]["code"] == code
    assert body["error"].get("parameter") == parameter
    message = body["error"]["message"]
    if parameter:
        assert message.startswith(f"{parameter}:"), message
    for word in words:
        assert word in message, message


@pytest.fixture
def known(admin: AdminClient) -> AdminClient:
    admin.seed({"reports": SEED})
    return admin


# -- authentication ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("headers", "words"), [
    ({}, ["missing", "Bearer"]),
    ({"Authorization": ""}, ["missing"]),
    ({"Authorization": "Basic ZGV2OmRldg=="}, ["Bearer <token>"]),
    ({"Authorization": "Bearer"}, ["Bearer <token>"]),
    ({"Authorization": "Bearer wrong-token"}, ["unknown token"]),
    ({"Authorization": "dev-api-token"}, ["Bearer <token>"]),
])
def test_401_without_a_valid_bearer_token(known: AdminClient, http: httpx.Client, headers: dict[str, str],
                                          words: list[str]) -> None:
    for endpoint in ENDPOINTS:
        response = get(http, endpoint, headers=headers, **EXAMPLE, **EXTRA.get(endpoint, {}))
        assert_error(response, 401, "unauthorized", "Authorization", *words)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="reports"'
        assert "wrong-token" not in response.text


def test_auth_is_checked_before_parameters(known: AdminClient, http: httpx.Client) -> None:
    assert_error(get(http, "reports_per_user", headers={}, channel_id="x"), 401, "unauthorized", "Authorization")


def test_bearer_scheme_is_case_insensitive(known: AdminClient, http: httpx.Client) -> None:
    response = get(http, "reports_per_user", headers={"Authorization": "bearer dev-api-token"}, **EXAMPLE)
    assert response.json() == EXPECTED["reports_per_user"]


# -- the three common parameters, on every endpoint -------------------------------------------------------

BAD_COMMON: list[tuple[dict[str, str | None], int, str, str, list[str]]] = [
    ({"channel_id": None}, 400, "missing_parameter", "channel_id", ["missing"]),
    ({"channel_id": ""}, 400, "missing_parameter", "channel_id", ["missing"]),
    ({"channel_id": "abc"}, 400, "invalid_parameter", "channel_id", ["'abc'", "positive integer"]),
    ({"channel_id": "1.5"}, 400, "invalid_parameter", "channel_id", ["'1.5'"]),
    ({"channel_id": "-1"}, 400, "invalid_parameter", "channel_id", ["'-1'"]),
    ({"channel_id": "0"}, 400, "invalid_parameter", "channel_id", ["'0'"]),
    ({"channel_id": "\u0661"}, 400, "invalid_parameter", "channel_id", []),  # an Arabic-Indic digit is not ASCII
    ({"start_date": None}, 400, "missing_parameter", "start_date", ["missing", "ISO 8601"]),
    ({"start_date": " "}, 400, "missing_parameter", "start_date", ["missing"]),
    ({"start_date": "yesterday"}, 400, "invalid_parameter", "start_date", ["'yesterday'", "ISO 8601"]),
    ({"start_date": "2016-13-01T00:00:00Z"}, 400, "invalid_parameter", "start_date", ["ISO 8601"]),
    ({"start_date": "1451606400"}, 400, "invalid_parameter", "start_date", ["ISO 8601"]),
    ({"end_date": None}, 400, "missing_parameter", "end_date", ["missing"]),
    ({"end_date": "2016-11-31"}, 400, "invalid_parameter", "end_date", ["ISO 8601"]),
    # Valid ISO 8601 whose offset puts it outside years 1-9999 in UTC: a 400, never a 500.
    ({"start_date": "0001-01-01T00:00:00+01:00"}, 400, "invalid_parameter", "start_date", ["out of range"]),
    ({"end_date": "9999-12-31T23:00:00-05:00"}, 400, "invalid_parameter", "end_date", ["out of range"]),
    ({"start_date": "2016-11-11T00:00:00Z", "end_date": "2016-01-01T00:00:00Z"}, 400, "invalid_parameter",
     "start_date", ["after end_date"]),
    ({"start_date": "2016-01-01T00:00:00.001Z", "end_date": "2016-01-01T00:00:00Z"}, 400, "invalid_parameter",
     "start_date", ["after end_date"]),
    # The parameters are checked in order, and all before the channel is looked up.
    ({"channel_id": "x", "start_date": "bad"}, 400, "invalid_parameter", "channel_id", []),
    ({"channel_id": "999", "start_date": "bad"}, 400, "invalid_parameter", "start_date", []),
    ({"channel_id": "999", "end_date": None}, 400, "missing_parameter", "end_date", []),
    ({"channel_id": "999", "start_date": "2017-01-01"}, 400, "invalid_parameter", "start_date", []),
    ({"channel_id": "999"}, 404, "not_found", "channel_id", ["no channel 999"]),
]


@pytest.mark.parametrize(("change", "status", "code", "parameter", "words"), BAD_COMMON)
def test_common_parameters(known: AdminClient, http: httpx.Client, change: dict[str, str | None],
                           status: int, code: str, parameter: str, words: list[str]) -> None:
    for endpoint in ENDPOINTS:
        params: dict[str, Any] = {**EXAMPLE, **EXTRA.get(endpoint, {}), **change}
        params = {k: v for k, v in params.items() if v is not None}
        assert_error(http.get(f"{API}/{endpoint}", params=params, headers=AUTH), status, code, parameter, *words)


def test_unknown_parameters_are_ignored(known: AdminClient, http: httpx.Client) -> None:
    response = get(http, "reports_per_user", colour="blue", **EXAMPLE)
    assert response.json() == EXPECTED["reports_per_user"]


# -- field_id ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "status", "code", "parameter", "words"), [
    ({"field_id": None}, 400, "missing_parameter", "field_id", ["missing"]),
    ({"field_id": ""}, 400, "missing_parameter", "field_id", ["missing"]),
    ({"field_id": "two"}, 400, "invalid_parameter", "field_id", ["'two'"]),
    ({"field_id": "0"}, 400, "invalid_parameter", "field_id", ["'0'"]),
    # field_id's form is checked before the channel is looked up; the field is looked up after it.
    ({"field_id": "two", "channel_id": "999"}, 400, "invalid_parameter", "field_id", []),
    ({"field_id": "2", "channel_id": "999"}, 404, "not_found", "channel_id", []),
    ({"field_id": "99"}, 404, "not_found", "field_id", ["no field 99"]),
    # Field 5 is account 2's; channel 1 is account 1's.
    ({"field_id": "5"}, 404, "not_found", "field_id", ["no field 5"]),
    # Only Category, DropDown and Radio fields: field 1 is a Text field.
    ({"field_id": "1"}, 400, "invalid_parameter", "field_id", ["Text", "Category, DropDown, Radio"]),
])
def test_field_id(known: AdminClient, http: httpx.Client, change: dict[str, str | None], status: int, code: str,
                  parameter: str, words: list[str]) -> None:
    params = {k: v for k, v in {**EXAMPLE, "field_id": "2", **change}.items() if v is not None}
    response = http.get(f"{API}/reports_per_field_selection", params=params, headers=AUTH)
    assert_error(response, status, code, parameter, *words)


def test_field_of_another_account_answers_on_its_own_channel(known: AdminClient, http: httpx.Client) -> None:
    # Report 11 in channel 3 (account 2) selects f_2_3_5_5_1 of field 5.
    response = get(http, "reports_per_field_selection", field_id="5", **{**EXAMPLE, "channel_id": "3"})
    assert response.json() == [{"field_id": 5, "account_id": 2, "name": "A", "value": "f_2_3_5_5_1",
                                "report_count": 1}]


# -- fields ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("endpoint", "fields", "unknown"), [
    ("reports_read", "total_reads,bogus", "bogus"),
    ("reports_read", "total_alerts", "total_alerts"),  # a user_awareness field
    ("user_awareness", "total_reads", "total_reads"),
    ("user_awareness", "alerts_opened,nope,zzz", "nope"),
])
def test_unknown_field_is_400(known: AdminClient, http: httpx.Client, endpoint: str, fields: str, unknown: str) -> None:
    response = get(http, endpoint, fields=fields, **EXAMPLE)
    assert_error(response, 400, "invalid_parameter", "fields", repr(unknown), "choose from")


def test_fields_are_checked_before_the_channel(known: AdminClient, http: httpx.Client) -> None:
    response = get(http, "reports_read", fields="bogus", **{**EXAMPLE, "channel_id": "999"})
    assert_error(response, 400, "invalid_parameter", "fields")


def test_empty_fields_mean_the_default(known: AdminClient, http: httpx.Client) -> None:
    assert get(http, "reports_read", fields=" , ", **EXAMPLE).json() == {"total_reads": 5}


# -- the HTTP layer ------------------------------------------------------------------------------------

def test_unknown_endpoint_and_method(known: AdminClient, http: httpx.Client) -> None:
    assert_error(http.get(f"{API}/reports_per_planet", params=EXAMPLE, headers=AUTH), 404, "not_found", None,
                 "reports_per_planet", "reports_over_time")
    assert_error(http.post(f"{API}/reports_per_user", params=EXAMPLE, headers=AUTH), 405, "method_not_allowed",
                 None, "POST")
    assert_error(http.get("/reports/api/v3/analytics/reports_per_user", headers=AUTH), 404, "not_found", None)


def test_injected_fault_uses_the_error_style(known: AdminClient, http: httpx.Client) -> None:
    known.faults.add(path=f"{API}/reports_per_user", status=503, times=1)
    assert_error(get(http, "reports_per_user", **EXAMPLE), 503, "unavailable", None)
    assert get(http, "reports_per_user", **EXAMPLE).status_code == 200


# -- the seed ------------------------------------------------------------------------------------------

def _seed_error(admin: AdminClient, section: dict[str, Any]) -> str:
    """The message of the seed's refusal (a 400 in the admin style, ``{"error": "<JSON path>: <message>"}``)."""
    with pytest.raises(BadRequest) as info:
        admin.seed({"reports": section})  # type: ignore[typeddict-item]
    return info.value.message


@pytest.mark.parametrize(("section", "parameter", "words"), [
    ({"channels": [{"id": 7, "account_id": 42, "name": "x"}]}, "channels[0].account_id", ["no account 42"]),
    ({"channels": [{"id": 1, "account_id": 1, "name": "again"}]}, "channels[0].id", ["channel 1 already exists"]),
    ({"users": [{"id": 20, "account_id": 1, "first_name": "A", "last_name": "B"},
                {"id": 20, "account_id": 1, "first_name": "C", "last_name": "D"}]}, "users[1].id", ["already exists"]),
    ({"reports": [{"id": 50, "channel_id": 9, "user_id": 1, "state_id": 1, "created_at": "2016-01-01"}]},
     "reports[0].channel_id", ["no channel 9"]),
    ({"reports": [{"id": 50, "channel_id": 1, "user_id": 9, "state_id": 1, "created_at": "2016-01-01"}]},
     "reports[0].user_id", ["user 9 belongs to account 2, not 1"]),
    ({"reports": [{"id": 50, "channel_id": 1, "user_id": 1, "state_id": 8, "created_at": "2016-01-01"}]},
     "reports[0].state_id", ["no state 8"]),
    ({"reports": [{"id": 50, "channel_id": 1, "user_id": 1, "state_id": 1, "created_at": "sometime soon"}]},
     "reports[0].created_at", ["ISO 8601"]),
    ({"reports": [{"id": 1, "channel_id": 1, "user_id": 1, "state_id": 1, "created_at": "2016-01-01"}]},
     "reports[0].id", ["report 1 already exists"]),
    ({"reports": [{"id": 50, "channel_id": 1, "user_id": 1, "state_id": 1, "created_at": "2016-01-01",
                   "selections": {"2": ["f_1_2_2_2_1", "f_1_2_2_2_2"]}}]},
     "reports[0].selections.2", ["Radio field takes exactly one value"]),
    ({"reports": [{"id": 50, "channel_id": 1, "user_id": 1, "state_id": 1, "created_at": "2016-01-01",
                   "selections": {"3": ["f_1_2_3_3_9"]}}]}, "reports[0].selections.3", ["not an option of field 3"]),
    ({"reports": [{"id": 50, "channel_id": 1, "user_id": 1, "state_id": 1, "created_at": "2016-01-01",
                   "selections": {"3": ["f_1_2_3_3_1", "f_1_2_3_3_1"]}}]}, "reports[0].selections.3",
     ["selected twice"]),
    ({"reports": [{"id": 50, "channel_id": 1, "user_id": 1, "state_id": 1, "created_at": "2016-01-01",
                   "selections": {"5": "f_2_3_5_5_1"}}]}, "reports[0].selections.5", ["belongs to account 2"]),
    ({"report_images": [{"id": 60, "report_id": 404, "created_at": "2016-01-01", "styles": {}}]},
     "report_images[0].report_id", ["no report 404"]),
    ({"report_reads": [{"user_id": 9, "report_id": 1, "read_at": "2016-01-01"}]}, "report_reads[0].user_id",
     ["belongs to account 2"]),
    ({"alerts": [{"user_id": 1, "report_id": 404, "created_at": "2016-01-01"}]}, "alerts[0].report_id",
     ["no report 404"]),
    ({"forms": [{"id": 8, "account_id": 1, "name": "f", "fields": [{"id": 80, "name": "r", "field_type": "Radio"}]}]},
     "forms[0].fields[0].options", ["needs options"]),
    ({"forms": [{"id": 8, "account_id": 1, "name": "f", "fields": [
        {"id": 80, "name": "r", "field_type": "Radio", "options": [{"name": "a", "value": "v"}, {"name": "b",
                                                                                             "value": "v"}]}]}]},
     "forms[0].fields[0].options", ["same value"]),
])
def test_seed_refuses_bad_data_and_records_nothing(known: AdminClient, section: dict[str, Any], parameter: str,
                                                   words: list[str]) -> None:
    before = known.state()["reports"]
    # A good account too: the refusal must leave it out as well (all or nothing).
    message = _seed_error(known, {"accounts": [{"id": 77, "name": "fine"}], **section})
    assert message.startswith(f"{parameter}: "), message
    for word in words:
        assert word in message, message
    assert known.state()["reports"] == before


@pytest.mark.parametrize(("section", "parameter"), [
    ({"accounts": [{"id": "one", "name": "x"}]}, "accounts[0].id"),
    ({"accounts": [{"id": 0, "name": "x"}]}, "accounts[0].id"),
    ({"planets": []}, "$"),
    ({"forms": [{"id": 8, "account_id": 1, "name": "f", "fields": [{"id": 80, "name": "r", "field_type": "Slider"}]}]},
     "forms[0].fields[0].field_type"),
    ({"reports": [{"id": 50, "channel_id": 1, "user_id": 1, "state_id": 1}]}, "reports[0]"),
    ({"tokens": ["short"]}, "tokens[0]"),
])
def test_seed_schema_errors_name_the_path(known: AdminClient, section: dict[str, Any], parameter: str) -> None:
    before = known.state()["reports"]
    assert _seed_error(known, section).startswith(f"{parameter}:")
    assert known.state()["reports"] == before


def test_seed_adds_to_what_is_stored(known: AdminClient, http: httpx.Client) -> None:
    # One more report for user 2 in the range, referring to objects seeded earlier → user 2 counts 2.
    known.seed({"reports": {"reports": [
        {"id": 100, "channel_id": 1, "user_id": 2, "state_id": 1, "created_at": "2016-05-05T05:05:05Z"}]}})
    rows = get(http, "reports_per_user", **EXAMPLE).json()
    assert rows[1] == {"user_id": 2, "account_id": 1, "report_count": 2}
    assert known.state()["reports"]["reports"] == len(SEED["reports"]) + 1


def test_reset_forgets_seeded_data(known: AdminClient, http: httpx.Client) -> None:
    known.reset()
    assert_error(get(http, "reports_per_user", **EXAMPLE), 404, "not_found", "channel_id")
    assert_error(get(http, "reports_per_user", headers={"Authorization": "Bearer second-token-123"}, **EXAMPLE),
                 401, "unauthorized", "Authorization")
