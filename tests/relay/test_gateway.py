"""The emulator's WebSocket gateway behaves as API Gateway does for what the relay uses."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from livestack_emulator.websocket_gateway import WebSocketGateway
from livestack_relay import protocol


def signed(url: str, secret: str = "testing") -> dict[str, str]:
    credentials = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key=secret).get_credentials()
    return protocol.signed_headers(url, "us-east-1", credentials)


def client_url(stage, developer: str = "probe") -> str:
    return f"{stage.url}?role=client&stage={stage.stage}&developer={developer}"


def management(stage):
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{stage.emulator_url}/{stage.stage}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (lambda url: {}, "Missing Authentication Token"),
        (lambda url: signed(url, secret="wrong"), "signature we calculated does not match"),
    ],
    ids=["unsigned", "wrong-secret"],
)
def test_connect_with_iam_authorization_refuses_a_bad_signature(relay_stage, headers, reason):
    url = client_url(relay_stage)
    with pytest.raises(InvalidStatus) as raised:
        connect(url, additional_headers=headers(url), open_timeout=10)
    assert raised.value.response.status_code == 403
    assert reason in raised.value.response.body.decode()


def test_connect_integration_refusing_refuses_the_connection(relay_stage):
    url = f"{relay_stage.url}?role=intruder&developer=x"
    with pytest.raises(InvalidStatus) as raised:
        connect(url, additional_headers=signed(url), open_timeout=10)
    assert raised.value.response.status_code == 400


def test_messages_route_on_action_and_connections_answer_410_when_gone(relay_stage):
    url = client_url(relay_stage)
    with connect(url, additional_headers=signed(url), open_timeout=10) as ws:
        ws.send(json.dumps({"action": "ping", "id": 7}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong", "id": 7}
        ws.send(json.dumps({"action": "no-such-route"}))
        assert "unknown action no-such-route" in json.loads(ws.recv(timeout=10))["message"]

    with pytest.raises(ClientError) as raised:
        management(relay_stage).post_to_connection(ConnectionId="bm9uZQ==", Data=b"{}")
    assert raised.value.response["Error"]["Code"] == "GoneException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_a_message_over_128_kb_closes_the_socket_with_1009_and_posts_over_it_are_refused(relay_stage, emulator):
    url = client_url(relay_stage, developer="big")
    table = emulator.client("dynamodb")
    with connect(url, additional_headers=signed(url), open_timeout=10, max_size=None) as ws:
        connection_id = table.get_item(
            TableName=relay_stage.table, Key={"pk": {"S": f"client#{relay_stage.stage}#big"}, "sk": {"S": "-"}}
        )["Item"]["connectionId"]["S"]
        with pytest.raises(ClientError) as raised:
            management(relay_stage).post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
        assert raised.value.response["Error"]["Code"] == "PayloadTooLargeException"

        ws.send("x" * (128 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == 1009


def test_the_websocket_api_reports_the_local_gateway_as_its_endpoint(relay_stage, emulator):
    endpoint = emulator.client("apigatewayv2").get_api(ApiId=relay_stage.api_id)["ApiEndpoint"]
    assert endpoint.startswith("ws://127.0.0.1:") and endpoint.endswith(f"/{relay_stage.api_id}")


@pytest.fixture
def gateway_in_process():
    """A gateway in this process (idle timeout of half a second) over an API made in moto's backend here."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    backend = apigatewayv2_backends["123456789012"]["us-east-1"]
    api = backend.create_api(
        name="idle", protocol_type="WEBSOCKET", route_selection_expression="$request.body.action",
        api_key_selection_expression=None, cors_configuration=None, description=None,
        disable_execute_api_endpoint=None, disable_schema_validation=None, tags={}, version=None,
    )  # fmt: skip
    backend.create_stage(api.api_id, {"stageName": "s"})
    gateway = WebSocketGateway("127.0.0.1", 0, "http://127.0.0.1:1", idle_timeout=0.5)
    gateway.start()
    yield f"{gateway.url}/{api.api_id}/s", gateway
    backend.delete_api(api.api_id)


@pytest.fixture
def local_gateway(gateway_in_process):
    return gateway_in_process[0]


def test_an_idle_connection_is_closed_going_away_and_unrouted_messages_are_forbidden(local_gateway):
    with connect(local_gateway, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "anything"}))
        assert json.loads(ws.recv(timeout=10))["message"] == "Forbidden"  # no route and no $default
        time.sleep(0.2)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == 1001


def test_an_unknown_api_or_stage_is_forbidden(local_gateway):
    with pytest.raises(InvalidStatus) as raised:
        connect(local_gateway + "x", open_timeout=10)
    assert raised.value.response.status_code == 403


def test_the_gateways_own_connections_endpoint_posts_describes_deletes_and_answers_410(gateway_in_process):
    url, gateway = gateway_in_process
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{gateway.management_url}/s",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with connect(url, open_timeout=10) as ws:
        # The gateway takes the socket once websockets has answered the handshake: a moment after the client.
        deadline = time.monotonic() + 5
        while not gateway.connection_ids() and time.monotonic() < deadline:
            time.sleep(0.01)
        (connection_id,) = gateway.connection_ids()
        for number in range(3):  # one kept-alive HTTP connection carries them all
            api.post_to_connection(ConnectionId=connection_id, Data=json.dumps({"n": number}).encode())
            assert json.loads(ws.recv(timeout=10)) == {"n": number}
        assert api.get_connection(ConnectionId=connection_id)["Identity"]["SourceIp"] == "127.0.0.1"
        with pytest.raises(ClientError) as raised:
            api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
        assert raised.value.response["Error"]["Code"] == "PayloadTooLargeException"

        api.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    with pytest.raises(ClientError) as raised:
        api.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    assert raised.value.response["Error"]["Code"] == "GoneException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
