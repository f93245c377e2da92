#!/usr/bin/env python3
"""Hostile clients for bench/http/run.sh: loopback only, bounded in time. Each prints one summary line.

  probe.py slowloris PORT --mode idle|trickle [--conns N] [--seconds S]
      Opens N connections that send nothing (idle) or a request line and then one header line every
      --interval seconds without ever ending the header (trickle). Meanwhile a well-behaved client asks
      GET /static on a fresh connection every 0.25 s (3 s timeout). Reports how many of those probes were
      answered, their latency, and when the server closed the slow connections.
  probe.py bigbody PORT --mode length|chunked [--mb 100]
      POSTs a body of --mb MiB to /events, announced by Content-Length or sent chunked, as fast as the server
      takes it. Reports what the server answered, after how many bytes, and how long it took.
  probe.py get PORT
      One GET /static; prints its status line (is the server still serving?).
"""
import argparse
import select
import socket
import statistics
import sys
import time

HOST = "127.0.0.1"


def get_static(port, timeout):
    t0 = time.monotonic()
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(b"GET /static HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    return data.startswith(b"HTTP/1.1 200"), time.monotonic() - t0


def slowloris(a):
    socks = []
    for _ in range(a.conns):
        try:
            s = socket.create_connection((HOST, a.port), timeout=2)
        except OSError:
            break
        s.setblocking(False)
        if a.mode == "trickle":
            s.send(b"GET /static HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socks.append(s)
    closed_at = {}
    probes = []
    start = time.monotonic()
    next_trickle = start + a.interval
    next_probe = start
    while time.monotonic() - start < a.seconds:
        now = time.monotonic()
        for i, s in enumerate(socks):
            if i in closed_at:
                continue
            try:
                if s.recv(4096) == b"":
                    closed_at[i] = now - start
            except BlockingIOError:
                pass
            except OSError:
                closed_at[i] = now - start
        if a.mode == "trickle" and now >= next_trickle:
            for i, s in enumerate(socks):
                if i not in closed_at:
                    try:
                        s.send(b"X-Slow: 1\r\n")
                    except OSError:
                        closed_at[i] = now - start
            next_trickle = now + a.interval
        if now >= next_probe:
            try:
                probes.append(get_static(a.port, 3.0))
            except OSError:
                probes.append((False, 3.0))
            next_probe = time.monotonic() + 0.25
        time.sleep(0.02)
    for s in socks:
        s.close()
    ok = [lat for good, lat in probes if good]
    closes = sorted(closed_at.values())
    print(
        f"slowloris mode={a.mode} conns={len(socks)} seconds={a.seconds} probes={len(probes)} answered={len(ok)} "
        f"p50_ms={statistics.median(ok) * 1000 if ok else float('nan'):.1f} "
        f"max_ms={max(ok) * 1000 if ok else float('nan'):.1f} "
        f"closed_by_server={len(closes)} first_close_s={closes[0] if closes else float('nan'):.1f} "
        f"last_close_s={closes[-1] if closes else float('nan'):.1f}"
    )


def bigbody(a):
    total = a.mb << 20
    s = socket.create_connection((HOST, a.port), timeout=a.timeout)
    head = "POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if a.mode == "chunked" else f"Content-Length: {total}\r\n\r\n"
    chunk = b"0" * (1 << 20)  # not JSON: a server that reads it all should answer 400
    frame = (b"%x\r\n" % len(chunk)) + chunk + b"\r\n" if a.mode == "chunked" else chunk
    t0 = time.monotonic()
    sent, error, answer = 0, "", b""
    try:
        s.sendall(head.encode())
        while sent < total:
            s.sendall(frame)
            sent += len(chunk)
            if select.select([s], [], [], 0)[0]:
                break  # the server answered (or closed) before the body was complete
        if sent >= total and a.mode == "chunked":
            s.sendall(b"0\r\n\r\n")
    except OSError as e:
        error = type(e).__name__
    try:
        answer = s.recv(4096)
    except OSError as e:
        error = error or type(e).__name__
    s.close()
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") if answer else "(none)"
    print(
        f"bigbody mode={a.mode} size_mib={a.mb} sent_mib={sent / (1 << 20):.0f} answer=\"{status}\" "
        f"error={error or '-'} seconds={time.monotonic() - t0:.2f}"
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["slowloris", "bigbody", "get"])
    p.add_argument("port", type=int)
    p.add_argument("--mode", default="idle")
    p.add_argument("--conns", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--interval", type=float, default=2)
    p.add_argument("--mb", type=int, default=100)
    p.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    if a.what == "slowloris":
        slowloris(a)
    elif a.what == "bigbody":
        bigbody(a)
    else:
        try:
            good, lat = get_static(a.port, 3.0)
            print(f"get ok={good} ms={lat * 1000:.1f}")
        except OSError as e:
            print(f"get ok=False error={type(e).__name__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
