"""Sends one multi-service trace through the gateway with the OpenTelemetry Python SDK.

Usage: otel_client.py {grpc|http} ENDPOINT

grpc: ENDPOINT is host:port of the OTLP/gRPC receiver; http: the full URL of /v1/traces.
Prints the trace id (32 hex digits) on stdout once both providers have flushed.
"""

import sys

from opentelemetry.propagate import inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator


def exporter(protocol, endpoint):
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=10)
    if protocol == "http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, timeout=10)
    raise SystemExit(f"unknown protocol {protocol!r}")


def provider(protocol, endpoint, service):
    resource = Resource.create(
        {
            "service.name": service,
            "service.version": "1.4.2",
            "deployment.environment": "e2e",
            "cloud.provider": "aws",
            "cloud.platform": "aws_ec2",
        }
    )
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(BatchSpanProcessor(exporter(protocol, endpoint)))
    return tp


def main():
    protocol, endpoint = sys.argv[1], sys.argv[2]
    orders = provider(protocol, endpoint, f"orders-{protocol}")
    inventory = provider(protocol, endpoint, f"inventory-{protocol}")
    tracer = orders.get_tracer("e2e.orders")
    inv_tracer = inventory.get_tracer("e2e.inventory")
    propagator = TraceContextTextMapPropagator()

    with tracer.start_as_current_span(
        "POST /orders",
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": "POST",
            "url.full": "http://orders.example.com/orders",
            "http.route": "/orders",
            "client.address": "203.0.113.7",
            "user_agent.original": "e2e-python/1.0",
            "order.id": "ord-42",
        },
    ) as root:
        trace_id = format(root.get_span_context().trace_id, "032x")

        with tracer.start_as_current_span(
            "DynamoDB.PutItem",
            kind=SpanKind.CLIENT,
            attributes={
                "rpc.system": "aws-api",
                "rpc.service": "DynamoDB",
                "rpc.method": "PutItem",
                "aws.region": "us-east-1",
                "aws.dynamodb.table_names": ["orders"],
                "http.response.status_code": 200,
            },
        ):
            pass

        with tracer.start_as_current_span(
            "INSERT orders",
            kind=SpanKind.CLIENT,
            attributes={
                "db.system": "postgresql",
                "db.name": "shop",
                "db.user": "app",
                "db.statement": "INSERT INTO orders (id, total) VALUES ($1, $2)",
                "db.connection_string": "postgresql://db.internal:5432/shop",
                "net.peer.name": "db.internal",
                "net.peer.port": 5432,
            },
        ):
            pass

        with tracer.start_as_current_span(
            "POST",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": "POST",
                "url.full": "http://inventory.internal/reserve",
                "server.address": "inventory.internal",
            },
        ) as client:
            carrier = {}
            inject(carrier)
            # The "remote" service: a second provider (another service.name) continuing the
            # trace from the propagated headers.
            remote_cx = propagator.extract(carrier)
            with inv_tracer.start_as_current_span(
                "POST /reserve",
                context=remote_cx,
                kind=SpanKind.SERVER,
                attributes={
                    "http.request.method": "POST",
                    "url.full": "http://inventory.internal/reserve",
                    "http.route": "/reserve",
                    "http.response.status_code": 201,
                },
            ):
                pass
            client.set_attribute("http.response.status_code", 201)

        root.set_attribute("http.response.status_code", 201)
        root.set_status(Status(StatusCode.OK))

    ok = inventory.force_flush(15000) and orders.force_flush(15000)
    inventory.shutdown()
    orders.shutdown()
    if not ok:
        raise SystemExit("force_flush timed out")
    print(trace_id, flush=True)


if __name__ == "__main__":
    main()
