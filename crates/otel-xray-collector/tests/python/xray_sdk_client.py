"""Sends X-Ray segments through the gateway's daemon UDP receiver with the aws-xray-sdk.

Usage: xray_sdk_client.py HOST:PORT

Emits two traces: a segment with an annotation and a remote HTTP subsegment (sent whole), and a
segment with more subsegments than the streaming threshold, so the SDK streams the finished
subsegments as separate documents before the segment. Prints both trace ids, one per line.
"""

import sys

from aws_xray_sdk.core import xray_recorder


def main():
    xray_recorder.configure(
        daemon_address=sys.argv[1],
        sampling=False,
        context_missing="LOG_ERROR",
        service="legacy-billing",
        streaming_threshold=2,
    )

    # 1. One segment, one remote HTTP subsegment, below the streaming threshold.
    segment = xray_recorder.begin_segment("legacy-billing")
    segment.put_annotation("invoice_id", "inv-7")
    segment.put_http_meta("method", "POST")
    segment.put_http_meta("url", "http://billing.example.com/invoices")
    sub = xray_recorder.begin_subsegment("payments.example.com", namespace="remote")
    sub.put_http_meta("method", "POST")
    sub.put_http_meta("url", "https://payments.example.com/charge")
    sub.put_http_meta("status", 200)
    xray_recorder.end_subsegment()
    segment.put_http_meta("status", 200)
    first = segment.trace_id
    xray_recorder.end_segment()

    # 2. Streamed: three finished subsegments exceed the threshold of 2 and are sent on their own.
    segment = xray_recorder.begin_segment("legacy-billing")
    segment.put_annotation("invoice_id", "inv-8")
    for i in range(3):
        xray_recorder.begin_subsegment(f"step-{i}")
        xray_recorder.current_subsegment().put_annotation("step", i)
        xray_recorder.end_subsegment()
    second = segment.trace_id
    xray_recorder.end_segment()

    print(first, flush=True)
    print(second, flush=True)


if __name__ == "__main__":
    main()
