"""The lab's echo server (Pemrograman Jaringan, task 2), as the course ships it.

Usage: python3 server.py [PORT] [BIND]
Serves one connection at a time: recv(32), sendall it back, until the client closes.
"""
import logging
import socket
import sys

logging.basicConfig(level=logging.INFO)

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
                connection.sendall(data)
            else:
                break
    except Exception as e:
        logging.info(f"ERROR: {e}")
    finally:
        logging.info("closing")
        connection.close()
