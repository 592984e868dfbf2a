"""A broken student's version of the lab's echo server (Pemrograman Jaringan, task 2).

Usage: python3 noecho_server.py [PORT] [BIND]
Like server.py (one connection at a time, recv(32) until the client closes, then close), but it
does not echo: after every recv it answers b'OK\\n' instead of the data it read. The handshake
and the FIN close are as usual; only the data coming back is wrong.
SIGINT or SIGTERM stops it (handled explicitly: a background job of a script ignores SIGINT,
and then Python would not turn it into KeyboardInterrupt).
"""
import logging
import signal
import socket
import sys

logging.basicConfig(level=logging.INFO)


def stop(signum, frame):
    logging.info("stopping")
    sys.exit(0)


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)

port = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
bind = sys.argv[2] if len(sys.argv) > 2 else '0.0.0.0'

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server_address = (bind, port)
logging.info(f"starting up on {server_address}")
sock.bind(server_address)
sock.listen(1)
while True:
    logging.info("waiting for a connection")
    connection, client_address = sock.accept()
    logging.info(f"connection from {client_address}")
    try:
        while True:
            data = connection.recv(32)
            logging.info(f"received {data}")
            if data:
                logging.info("sending back data")
                connection.sendall(b"OK\n")
            else:
                break
    except Exception as e:
        logging.info(f"ERROR: {e}")
    finally:
        logging.info("closing")
        connection.close()
