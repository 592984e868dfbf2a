"""The lab's echo client (task 2).

Usage: python3 client.py [HOST] [PORT] [MESSAGE_FILE]
Sends the lab's message (or the file's bytes) with sendall, reads the echo with recv(16).
"""
import logging
import socket
import sys

logging.basicConfig(level=logging.INFO)

host = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
port = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
if len(sys.argv) > 3:
    with open(sys.argv[3], 'rb') as f:
        message = f.read()
else:
    message = b'INI ADALAH DATA YANG DIKIRIM ABCDEFGHIJKLMNOPQ'

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_address = (host, port)
logging.info(f"connecting to {server_address}")
try:
    sock.connect(server_address)
    logging.info(f"sending {message}")
    sock.sendall(message)
    amount_received = 0
    amount_expected = len(message)
    while amount_received < amount_expected:
        data = sock.recv(16)
        if not data:
            break
        amount_received += len(data)
        logging.info(f"{data}")
except Exception as ee:
    logging.info(f"ERROR: {str(ee)}")
    sys.exit(1)
finally:
    logging.info("closing")
    sock.close()
