"""moto's own request parser and response serializer, for extensions that answer in moto's place.

An extension that replaces or adds an action of a query-protocol service (RDS, IAM, EC2, ...) parses the
request with the botocore model exactly as moto would, works on moto's backend objects, and
serializes them with moto's serializer: shapes, timestamps and errors stay those of the model (members
named as the model names them or by their ``locationName``; members the model lacks are left out).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from moto.core.parse import PROTOCOL_PARSERS, XFormedDict
from moto.core.serialize import SerializationContext, XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from .extensions import Call
from .protocol import request_id


def parse_query(service: str, call: Call) -> XFormedDict:
    """The request's parameters as moto's responses see them (nested lists and structures, typed)."""
    operation = get_service_model(service).operation_model(call.request.action)
    values = MultiDict(parse_qsl(call.body.decode("utf-8"), keep_blank_values=True))
    values.update(MultiDict(call.request.params))
    parser = PROTOCOL_PARSERS["query"](operation, map_type=XFormedDict)
    return parser.parse({"method": "POST", "values": values, "headers": {}, "body": call.body, "url_path": "/"})


def query_result(service: str, action: str, result: Any) -> Response:
    """Serialize ``result`` (a dict of model members, or a moto ``ServiceException``) as ``action``'s response,
    in the service's protocol (``query``, or ``ec2`` for EC2)."""
    model = get_service_model(service)
    serializer = get_serializer_class(service, model.protocol)(
        model.operation_model(action),
        context=SerializationContext(request_id()),
        value_picker=XFormedAttributePicker(),
    )
    serialized = serializer.serialize(result)
    return Response(
        serialized["body"],
        status=serialized["status_code"],
        headers=dict(serialized["headers"]),
        content_type="text/xml",
    )
