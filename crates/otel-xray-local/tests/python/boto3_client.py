"""boto3 against Local X-Ray: put documents, read them back, check the error shape.

Usage: boto3_client.py ENDPOINT_URL

Driven by tests/api_boto3.rs. Prints one line per check and "OK" at the end; any failed check
raises (non-zero exit).
"""

import json
import sys
import time
from datetime import datetime, timezone

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what, flush=True)


def main(endpoint):
    xray = boto3.client(
        "xray",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=60),
    )
    t0 = int(time.time())
    trace = "1-%08x-%024x" % (t0, 0xB0703)
    api = {
        "trace_id": trace, "id": "a1a1a1a1a1a1a1a1", "name": "api", "start_time": t0, "end_time": t0 + 0.5,
        "fault": True, "user": "dora",
        "http": {"request": {"method": "PUT", "url": "http://api/items/1"}, "response": {"status": 503}},
        "annotations": {"item": "i-1", "count": 2},
        "subsegments": [
            {"id": "b1b1b1b1b1b1b1b1", "name": "worker", "namespace": "remote", "start_time": t0 + 0.1,
             "end_time": t0 + 0.4, "fault": True},
        ],
    }
    worker = {
        "trace_id": trace, "id": "c1c1c1c1c1c1c1c1", "name": "worker", "parent_id": "b1b1b1b1b1b1b1b1",
        "start_time": t0 + 0.15, "end_time": t0 + 0.35, "fault": True,
    }
    put = xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(api), json.dumps(worker)])
    check(put["UnprocessedTraceSegments"] == [], "put_trace_segments stores both documents")

    bad = dict(worker, id="d1d1d1d1d1d1d1d1")
    del bad["name"]
    put = xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(bad), "not json"])
    codes = [(u.get("Id"), u["ErrorCode"]) for u in put["UnprocessedTraceSegments"]]
    check(codes == [("d1d1d1d1d1d1d1d1", "MissingParam"), (None, "JSONFormatError")],
          "put_trace_segments reports per-document errors: %r" % codes)

    # 120 more single-segment traces, so that the paginator needs two pages.
    others = []
    for n in range(120):
        doc = {"trace_id": "1-%08x-%024x" % (t0, n + 1), "id": "%016x" % (n + 1), "name": "batch",
               "start_time": t0, "end_time": t0 + 0.01}
        others.append(json.dumps(doc))
    for i in range(0, len(others), 50):
        put = xray.put_trace_segments(TraceSegmentDocuments=others[i:i + 50])
        check(put["UnprocessedTraceSegments"] == [], "put batch %d" % (i // 50))

    start = datetime.fromtimestamp(t0 - 60, tz=timezone.utc)
    end = datetime.fromtimestamp(t0 + 60, tz=timezone.utc)
    pages = list(xray.get_paginator("get_trace_summaries").paginate(StartTime=start, EndTime=end))
    ids = [s["Id"] for p in pages for s in p["TraceSummaries"]]
    check(len(pages) >= 2 and len(ids) == 121 and len(set(ids)) == 121,
          "get_trace_summaries pages through all 121 traces (%d pages)" % len(pages))

    found = xray.get_trace_summaries(StartTime=start, EndTime=end, FilterExpression='service("worker") { fault }')
    summaries = found["TraceSummaries"]
    check([s["Id"] for s in summaries] == [trace], "a filter expression selects the faulty trace")
    s = summaries[0]
    check(s["HasFault"] and not s["HasError"] and s["Http"]["HttpStatus"] == 503
          and s["Http"]["HttpMethod"] == "PUT" and s["Users"][0]["UserName"] == "dora",
          "the summary carries flags, http and users")
    check(s["Annotations"]["item"][0]["AnnotationValue"] == {"StringValue": "i-1"}
          and s["Annotations"]["count"][0]["AnnotationValue"] == {"NumberValue": 2.0},
          "the summary carries annotations")
    check(abs(s["Duration"] - 0.5) < 1e-6 and abs(s["ResponseTime"] - 0.5) < 1e-6, "duration and response time")

    got = xray.batch_get_traces(TraceIds=[trace, "1-%08x-%024x" % (t0, 0xFFFF)])
    check(len(got["Traces"]) == 1 and len(got["Traces"][0]["Segments"]) == 2, "batch_get_traces returns the trace")
    documents = {seg["Id"]: json.loads(seg["Document"]) for seg in got["Traces"][0]["Segments"]}
    check(documents == {"a1a1a1a1a1a1a1a1": api, "c1c1c1c1c1c1c1c1": worker}, "documents come back as sent")
    check(got["UnprocessedTraceIds"] == ["1-%08x-%024x" % (t0, 0xFFFF)], "unknown ids are unprocessed")

    graph = xray.get_service_graph(StartTime=start, EndTime=end)
    services = {svc["Name"]: svc for svc in graph["Services"]}
    check(set(services) == {"api", "worker", "batch"}, "get_service_graph lists the services: %r" % sorted(services))
    edges = services["api"]["Edges"]
    check(len(edges) == 1 and edges[0]["ReferenceId"] == services["worker"]["ReferenceId"]
          and edges[0]["SummaryStatistics"]["FaultStatistics"]["TotalCount"] == 1, "api calls worker, with a fault")
    check(services["api"]["Root"] and services["batch"]["SummaryStatistics"]["TotalCount"] == 120,
          "root flags and counts")

    try:
        xray.get_trace_summaries(StartTime=start, EndTime=end, FilterExpression='rootcause.fault.service { name = "x" }')
    except ClientError as e:
        error = e.response["Error"]
        check(error["Code"] == "InvalidRequestException", "a bad filter raises InvalidRequestException")
        check("rootcause" in error["Message"], "the message names the unsupported part: %s" % error["Message"])
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, "with HTTP 400")
    else:
        raise AssertionError("a bad filter expression was accepted")

    try:
        xray.batch_get_traces(TraceIds=["a", "b", "c", "d", "e", "f"])
    except ClientError as e:
        check(e.response["Error"]["Code"] == "InvalidRequestException", "six trace ids raise InvalidRequestException")
    else:
        raise AssertionError("six trace ids were accepted")
    print("OK", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
