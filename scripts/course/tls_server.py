"""The course's TLS server (module 1a; HTTPS on 8443 in module 5): Python's ssl module over a
threaded socket server.

Usage: python3 tls_server.py CERT KEY [PORT]
Listens on 0.0.0.0:PORT (default 8443) with the certificate CERT and its private key KEY (PEM),
TLS 1.2 or 1.3 (whichever the client offers highest), offering ALPN http/1.1, without TLS 1.3
session tickets. Every connection is served in its own thread. Requests end in \\r\\n\\r\\n;
replies are JSON ending in \\r\\n\\r\\n:
  versi      ->  {"versi": "1.0"}
  otherwise  ->  {"status": "ERROR"}
When the client closes (close_notify), the server answers with its own close_notify, waits for
the client's FIN (up to 2 s) and closes.
SIGINT or SIGTERM stops it (handled explicitly: a background job of a script ignores SIGINT).
"""
import json
import logging
import os
import signal
import socket
import ssl
import sys
import threading

logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(threadName)s:%(message)s")

cert, key = sys.argv[1], sys.argv[2]
port = int(sys.argv[3]) if len(sys.argv) > 3 else 8443


def stop(signum, frame):
    logging.info("stopping")
    os._exit(0)


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.minimum_version = ssl.TLSVersion.TLSv1_2
context.load_cert_chain(cert, key)
context.set_alpn_protocols(["http/1.1"])
# No TLS 1.3 session tickets (OpenSSL sends two by default, each in its own segment, while the
# client already sends its request): fewer packets, in an order that does not depend on timing.
context.num_tickets = 0


def remember_sni(tls, name, ctx):
    tls.sni_name = name  # the name the client sent, None without SNI


context.sni_callback = remember_sni


def answer(request):
    if request == "versi":
        return {"versi": "1.0"}
    return {"status": "ERROR"}


def serve(conn, addr):
    # Small TLS records go out at once instead of waiting for the peer's delayed ACK (Nagle).
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        tls = context.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError) as e:
        logging.info(f"{addr} handshake failed: {e}")
        conn.close()
        return
    logging.info(f"{addr} {tls.version()} {tls.cipher()[0]} SNI {getattr(tls, 'sni_name', None)!r}"
                 f" ALPN {tls.selected_alpn_protocol()!r}")
    buf = b""
    try:
        while True:
            data = tls.recv(1024)
            if not data:
                logging.info(f"{addr} close_notify: closing")
                tls = tls.unwrap()  # the server's close_notify; then the client closes first
                tls.settimeout(2)
                tls.recv(1)
                return
            buf += data
            while b"\r\n\r\n" in buf:
                request, buf = buf.split(b"\r\n\r\n", 1)
                request = request.decode(errors="replace").strip()
                reply = answer(request)
                logging.info(f"{addr} request {request!r} -> {reply}")
                tls.sendall(json.dumps(reply).encode() + b"\r\n\r\n")
    except (OSError, ssl.SSLError) as e:
        logging.info(f"{addr} ERROR: {e}")
    finally:
        tls.close()


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", port))
sock.listen(10)
logging.info(f"tls server on port {port}, certificate {cert}")
while True:
    conn, addr = sock.accept()
    logging.info(f"connection from {addr}")
    threading.Thread(target=serve, args=(conn, addr), daemon=True).start()
