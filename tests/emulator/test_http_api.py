"""HTTP APIs in the emulator: the API's ApiEndpoint serves its routes through Lambda proxy integrations (format 2.0)."""

from __future__ import annotations

import base64
import http.client
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from lambda_functions import deploy

from livestack_emulator.http_api_gateway import match_route

HANDLER = """
import base64, json, time

def handler(event, context):
    path = event["rawPath"]
    if path.endswith("/fail"):
        raise RuntimeError("the function failed")
    if path.endswith("/slow"):
        time.sleep(5)
    if path.endswith("/shaped"):
        return {"statusCode": 201, "headers": {"X-Shape": "yes", "Content-Type": "text/plain"},
                "cookies": ["a=1; Path=/", "b=2"], "body": "created"}
    if path.endswith("/binary"):
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                "isBase64Encoded": True, "body": base64.b64encode(bytes(range(256))).decode()}
    if path.endswith("/malformed"):
        return {"statusCode": "many"}
    return {"echo": event}
"""


def request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) of a plain HTTP request, as curl would make it."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection.request(method, target or "/", body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.headers, response.read()


@pytest.fixture(scope="module")
def http_api(emulator):
    apis = emulator.client("apigatewayv2")
    function = deploy(emulator, HANDLER, Timeout=10)
    api = apis.create_api(Name="http", ProtocolType="HTTP")
    integration = apis.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=function["FunctionArn"],
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    quick = apis.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=function["FunctionArn"],
        PayloadFormatVersion="2.0",
        TimeoutInMillis=1000,
    )["IntegrationId"]
    for key in ("$default", "GET /items/{id}", "ANY /files/{path+}"):
        apis.create_route(ApiId=api["ApiId"], RouteKey=key, Target=f"integrations/{integration}")
    apis.create_route(ApiId=api["ApiId"], RouteKey="GET /slow", Target=f"integrations/{quick}")
    apis.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    apis.create_stage(ApiId=api["ApiId"], StageName="v1", AutoDeploy=True, StageVariables={"tier": "one"})
    yield apis.get_api(ApiId=api["ApiId"])
    apis.delete_api(ApiId=api["ApiId"])


def test_the_api_endpoint_is_a_local_url_serving_a_get_with_the_payload_20_event(http_api, emulator):
    endpoint = http_api["ApiEndpoint"]
    assert endpoint.startswith("http://127.0.0.1:") and urlsplit(endpoint).path == ""
    listed = emulator.client("apigatewayv2").get_apis()["Items"]
    assert [api["ApiEndpoint"] for api in listed if api["ApiId"] == http_api["ApiId"]] == [endpoint]

    status, headers, body = request(
        f"{endpoint}/items/42?a=1&a=2&b=",
        headers={"Cookie": "c1=x; c2=y", "X-Many": "one", "User-Agent": "curl/8.5.0"},
    )

    assert status == 200 and headers["content-type"] == "application/json"
    event = json.loads(body)["echo"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42" and event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"id": "42"}
    assert event["cookies"] == ["c1=x", "c2=y"]
    assert event["headers"]["x-many"] == "one" and "cookie" not in event["headers"]
    assert event["isBase64Encoded"] is False and "body" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/items/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8.5.0",
    }
    assert context["stage"] == "$default" and context["apiId"] == http_api["ApiId"]
    assert context["requestId"] == headers["apigw-requestid"]
    assert context["routeKey"] == "GET /items/{id}" and context["accountId"] == "123456789012"


def test_a_post_reaches_the_default_route_with_its_body_text_or_base64(http_api):
    endpoint = http_api["ApiEndpoint"]

    _, _, text = request(f"{endpoint}/orders", "POST", b'{"qty": 2}', {"Content-Type": "application/json"})
    _, _, binary = request(f"{endpoint}/orders", "POST", b"\x00\xff", {"Content-Type": "application/octet-stream"})

    text_event, binary_event = json.loads(text)["echo"], json.loads(binary)["echo"]
    assert text_event["routeKey"] == "$default" and text_event["requestContext"]["http"]["method"] == "POST"
    assert text_event["body"] == '{"qty": 2}' and text_event["isBase64Encoded"] is False
    assert binary_event["isBase64Encoded"] is True and base64.b64decode(binary_event["body"]) == b"\x00\xff"


def test_a_named_stage_is_served_under_its_path_with_its_variables_and_greedy_paths(http_api):
    status, _, body = request(f"{http_api['ApiEndpoint']}/v1/files/a/b%20c.txt", "DELETE")

    event = json.loads(body)["echo"]
    assert status == 200
    assert event["routeKey"] == "ANY /files/{path+}" and event["pathParameters"] == {"path": "a/b c.txt"}
    assert event["rawPath"] == "/v1/files/a/b%20c.txt" and event["requestContext"]["stage"] == "v1"
    assert event["stageVariables"] == {"tier": "one"}


def test_the_functions_response_is_mapped_as_payload_format_20_maps_it(http_api):
    endpoint = http_api["ApiEndpoint"]

    status, headers, body = request(f"{endpoint}/shaped")
    assert (status, body) == (201, b"created")
    assert headers["x-shape"] == "yes" and headers["content-type"] == "text/plain"
    assert headers.get_all("set-cookie") == ["a=1; Path=/", "b=2"]

    status, headers, body = request(f"{endpoint}/binary")
    assert status == 200 and body == bytes(range(256))


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/fail", 500, "Internal Server Error"),
        ("/malformed", 500, "Internal Server Error"),
        ("/slow", 503, "Service Unavailable"),
    ],
    ids=["function-error", "malformed-response", "integration-timeout"],
)
def test_failures_are_answered_as_api_gateway_answers_them(http_api, path, status, message):
    started = time.monotonic()
    answer = request(f"{http_api['ApiEndpoint']}{path}")
    assert (answer[0], json.loads(answer[2])) == (status, {"message": message})
    assert time.monotonic() - started < 4.5  # the slow one: the integration's 1 s, not the function's 5 s


def test_a_request_no_route_matches_is_404_and_a_deleted_api_is_no_longer_served(emulator):
    apis = emulator.client("apigatewayv2")
    function = deploy(emulator, HANDLER)
    api = apis.create_api(Name="routes", ProtocolType="HTTP")
    integration = apis.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=function["FunctionArn"],
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    apis.create_route(ApiId=api["ApiId"], RouteKey="GET /known", Target=f"integrations/{integration}")
    apis.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    endpoint = api["ApiEndpoint"]

    assert request(f"{endpoint}/known")[0] == 200
    for method, path in (("GET", "/unknown"), ("POST", "/known")):
        status, _, body = request(f"{endpoint}{path}", method)
        assert (status, json.loads(body)) == (404, {"message": "Not Found"})

    apis.delete_api(ApiId=api["ApiId"])
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        request(f"{endpoint}/known")


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/pets/dog", ("GET /pets/dog", {})),
        ("GET", "/pets/cat", ("GET /pets/{name}", {"name": "cat"})),
        ("POST", "/pets/cat", ("ANY /pets/{name}", {"name": "cat"})),
        ("GET", "/pets/cat/toys", ("ANY /{proxy+}", {"proxy": "pets/cat/toys"})),
        ("GET", "/", ("$default", {})),
    ],
)
def test_the_most_specific_route_is_selected(method, path, expected):
    keys = ["$default", "ANY /{proxy+}", "GET /pets/{name}", "ANY /pets/{name}", "GET /pets/dog"]
    assert match_route(keys, method, path) == expected
