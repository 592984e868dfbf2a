"""The course's threaded time server (module 3, concurrency).

Usage: python3 time_server.py [PORT] [--wrong]
Listens on 0.0.0.0:PORT (default 45000) and serves every connection in its own thread. Requests
are lines ending in \\r\\n:
  TIME\\r\\n  ->  JAM hh:mm:ss\\r\\n   (the current local time)
  QUIT\\r\\n  ->  nothing; the server closes the connection
Anything else is ignored. The client closing its side also ends the connection.
--wrong plays a student's mistakes: the answer is JAM hh:mm\\r\\n (no seconds) and QUIT is
ignored (the server only closes once the client has closed).
SIGINT or SIGTERM stops it (handled explicitly: a background job of a script ignores SIGINT).
"""
import logging
import os
import signal
import socket
import sys
import threading
import time

logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(threadName)s:%(message)s")

args = [a for a in sys.argv[1:] if not a.startswith("--")]
wrong = "--wrong" in sys.argv[1:]
port = int(args[0]) if args else 45000


def stop(signum, frame):
    logging.info("stopping")
    os._exit(0)


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)


def serve(conn, addr):
    buf = b""
    try:
        while True:
            data = conn.recv(32)
            if not data:
                logging.info(f"{addr} closed")
                return
            buf += data
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                request = line.decode(errors="replace").strip()
                logging.info(f"{addr} request {request!r}")
                if request == "TIME":
                    now = time.strftime("%H:%M" if wrong else "%H:%M:%S")
                    conn.sendall(f"JAM {now}\r\n".encode())
                elif request == "QUIT" and not wrong:
                    logging.info(f"{addr} QUIT: closing")
                    return
    except OSError as e:
        logging.info(f"{addr} ERROR: {e}")
    finally:
        conn.close()


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", port))
sock.listen(10)
logging.info(f"time server on port {port}{' (wrong variant)' if wrong else ''}")
while True:
    conn, addr = sock.accept()
    logging.info(f"connection from {addr}")
    threading.Thread(target=serve, args=(conn, addr), daemon=True).start()
