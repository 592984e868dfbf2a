"""The course's file server (module 4), one thread per connection.

Usage: python3 file_server.py DIR [PORT]
Serves the files in DIR on 0.0.0.0:PORT (default 6666). One connection per command: the client
sends one request ending in \\r\\n, the server answers with JSON ending in \\r\\n\\r\\n and closes
once the client has closed. Requests:
  LIST\\r\\n                    {"status": "OK", "data": ["a.txt", ...]}
  GET <name>\\r\\n              {"status": "OK", "data_namafile": "<name>", "data_file": "<base64>"}
  UPLOAD <name> <base64>\\r\\n  {"status": "OK", "data": "<name> uploaded"}
  DELETE <name>\\r\\n           {"status": "OK", "data": "<name> deleted"}
Failures (no such file, a bad request) answer {"status": "ERROR", "data": "<reason>"}.
SIGINT or SIGTERM stops it (handled explicitly: a background job of a script ignores SIGINT).
"""
import base64
import json
import logging
import os
import signal
import socket
import sys
import threading

logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(threadName)s:%(message)s")

root = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 6666


def stop(signum, frame):
    logging.info("stopping")
    os._exit(0)


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)


def path_of(name):
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"bad file name {name!r}")
    return name


def process(request):
    words = request.split(" ")
    verb, params = words[0].upper(), words[1:]
    try:
        if verb == "LIST" and not params:
            return dict(status="OK", data=sorted(os.listdir(".")))
        if verb == "GET" and len(params) == 1:
            with open(path_of(params[0]), "rb") as f:
                content = base64.b64encode(f.read()).decode()
            return dict(status="OK", data_namafile=params[0], data_file=content)
        if verb == "UPLOAD" and len(params) == 2:
            content = base64.b64decode(params[1], validate=True)
            with open(path_of(params[0]), "wb") as f:
                f.write(content)
            return dict(status="OK", data=f"{params[0]} uploaded")
        if verb == "DELETE" and len(params) == 1:
            os.remove(path_of(params[0]))
            return dict(status="OK", data=f"{params[0]} deleted")
        return dict(status="ERROR", data="request tidak dikenali")
    except Exception as e:
        return dict(status="ERROR", data=str(e))


def serve(conn, addr):
    buf = b""
    try:
        while b"\r\n" not in buf:
            data = conn.recv(1024)
            if not data:
                logging.info(f"{addr} closed without a request")
                return
            buf += data
        request = buf.split(b"\r\n", 1)[0].decode(errors="replace")
        reply = process(request)
        logging.info(f"{addr} {request[:40]!r} -> {reply['status']}")
        conn.sendall(json.dumps(reply).encode() + b"\r\n\r\n")
        while conn.recv(1024):
            pass
    except OSError as e:
        logging.info(f"{addr} ERROR: {e}")
    finally:
        conn.close()


os.chdir(root)  # file names are relative to DIR (and so are the error messages)
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", port))
sock.listen(10)
logging.info(f"file server on port {port}, files in {root}")
while True:
    conn, addr = sock.accept()
    threading.Thread(target=serve, args=(conn, addr), daemon=True).start()
