#!/usr/bin/env python3
"""GPU offer gating against a running master, for test/gpu/device-check.sh (python3 is on the GPU image; meso's
own test helpers need Bun). Subscribes two frameworks through the v1 scheduler API, one without and one with the
GPU_RESOURCES capability, watches each event stream for a few seconds, tears both down, and prints one JSON line:
{"plain_offers": N, "gpu_offers": M, "gpu_offer_gpus": G}. Mesos semantics: N must be 0 on a GPU-only cluster."""

import http.client
import json
import sys
import time
from urllib.parse import urlparse


def watch(master, capabilities, seconds):
    """Subscribes, reads RecordIO events until `seconds` pass (or the first offer with `stop_at_offer`)."""
    u = urlparse(master)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=seconds)
    info = {"user": "root", "name": "gpu-gating-check", "roles": ["*"], "capabilities": [{"type": t} for t in capabilities]}
    conn.request("POST", "/api/v1/scheduler", json.dumps({"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}),
                 {"Content-Type": "application/json", "Accept": "application/json"})
    res = conn.getresponse()
    if res.status != 200:
        raise SystemExit(f"SUBSCRIBE answered {res.status}: {res.read()[:200]!r}")
    stream_id = res.getheader("Mesos-Stream-Id")
    deadline = time.time() + seconds
    framework_id, offers, gpus = None, 0, 0.0
    buf = b""
    try:
        while time.time() < deadline:
            chunk = res.read1(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                size, rest = buf.split(b"\n", 1)
                n = int(size)
                if len(rest) < n:
                    break
                event, buf = json.loads(rest[:n]), rest[n:]
                if event["type"] == "SUBSCRIBED":
                    framework_id = event["subscribed"]["framework_id"]["value"]
                elif event["type"] == "OFFERS":
                    for offer in event["offers"]["offers"]:
                        offers += 1
                        gpus += sum(r["scalar"]["value"] for r in offer["resources"] if r["name"] == "gpus")
    except (TimeoutError, OSError):
        pass
    if framework_id:
        t = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        t.request("POST", "/api/v1/scheduler", json.dumps({"type": "TEARDOWN", "framework_id": {"value": framework_id}}),
                  {"Content-Type": "application/json", "Mesos-Stream-Id": stream_id or ""})
        t.getresponse().read()
    return offers, gpus


def main():
    master = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5050"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5
    plain, _ = watch(master, ["MULTI_ROLE"], seconds)
    gpu, gpus = watch(master, ["MULTI_ROLE", "GPU_RESOURCES"], seconds)
    print(json.dumps({"plain_offers": plain, "gpu_offers": gpu, "gpu_offer_gpus": gpus}))


if __name__ == "__main__":
    main()
