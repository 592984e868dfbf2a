"""The course's HTTP server (module 5): a socket server, one thread per connection.

Usage: python3 http_server.py DIR [PORT]
Listens on 0.0.0.0:PORT (default 8885). Answers:
  GET /           200 text/html, a small page
  GET /video      302, Location: https://youtu.be/katoxpnTf04
  GET /<file>     200, a file of DIR with its Content-Type and Content-Length
  anything else   404 text/plain
An HTTP/1.0 request (or one with Connection: close) is answered as HTTP/1.0 with
"Connection: close", and the server closes the connection after the response. An HTTP/1.1
request without Connection: close keeps the connection open (keep-alive) for the next request,
so pipelined requests are answered in order. Every response has Content-Length.
SIGINT or SIGTERM stops it (handled explicitly: a background job of a script ignores SIGINT).
"""
import email.utils
import logging
import mimetypes
import os
import signal
import socket
import sys
import threading

logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(threadName)s:%(message)s")

root = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 8885
REASONS = {200: "OK", 302: "Found", 400: "Bad Request", 404: "Not Found"}
PAGE = (b"<!DOCTYPE html>\n<html><head><title>Progjar</title></head>\n"
        b"<body><h1>Pemrograman Jaringan</h1><p>Server HTTP modul 5.</p></body></html>\n")


def stop(signum, frame):
    logging.info("stopping")
    os._exit(0)


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)


def route(method, path):
    """(code, content type, body, extra headers) for a request."""
    if method != "GET":
        return 400, "text/plain", b"Bad Request\n", []
    if path == "/":
        return 200, "text/html", PAGE, []
    if path == "/video":
        return 302, "text/plain", b"", [("Location", "https://youtu.be/katoxpnTf04")]
    name = path.lstrip("/")
    if name and "/" not in name and not name.startswith(".") and os.path.isfile(os.path.join(root, name)):
        with open(os.path.join(root, name), "rb") as f:
            body = f.read()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return 200, kind, body, []
    return 404, "text/plain", b"Not Found\n", []


def serve(conn, addr):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(1024)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("iso-8859-1").split("\r\n")
            parts = lines[0].split(" ")
            headers = {}
            for line in lines[1:]:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            while len(buf) < length:
                data = conn.recv(1024)
                if not data:
                    return
                buf += data
            buf = buf[length:]
            if len(parts) != 3:
                code, kind, body, extra = 400, "text/plain", b"Bad Request\n", []
                version = "HTTP/1.0"
            else:
                method, path, version = parts
                code, kind, body, extra = route(method, path)
            keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            answer_version = "HTTP/1.1" if version == "HTTP/1.1" else "HTTP/1.0"
            out = [f"{answer_version} {code} {REASONS[code]}",
                   f"Date: {email.utils.formatdate(usegmt=True)}",
                   "Server: progjar/1.0",
                   f"Content-Type: {kind}",
                   f"Content-Length: {len(body)}",
                   f"Connection: {'keep-alive' if keep else 'close'}"]
            out += [f"{k}: {v}" for k, v in extra]
            conn.sendall(("\r\n".join(out) + "\r\n\r\n").encode() + body)
            logging.info(f"{addr} {lines[0]!r} -> {code}")
            if not keep:
                return
    except OSError as e:
        logging.info(f"{addr} ERROR: {e}")
    finally:
        conn.close()


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", port))
sock.listen(10)
logging.info(f"http server on port {port}, files in {root}")
while True:
    conn, addr = sock.accept()
    threading.Thread(target=serve, args=(conn, addr), daemon=True).start()
