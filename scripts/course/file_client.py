"""A client of the file server (module 4): one connection per command.

Usage: python3 file_client.py HOST PORT DIR COMMAND...
Each COMMAND is one argument: "LIST", "GET name" (the file is written to DIR), "UPLOAD name"
(DIR/name is sent as base64), "DELETE name". A command starting with "!" is expected to fail
(status ERROR). The client sends the request ending in \\r\\n, reads the JSON reply up to
\\r\\n\\r\\n, then closes. Exit 0 when every status was the expected one.
"""
import base64
import hashlib
import json
import os
import socket
import sys

host, port, folder, commands = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]


def send(request):
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(request.encode() + b"\r\n")
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = s.recv(4096)
            if not data:
                raise RuntimeError("the server closed before the end of its reply")
            buf += data
    return json.loads(buf.split(b"\r\n\r\n", 1)[0])


ok = True
for command in commands:
    want = "ERROR" if command.startswith("!") else "OK"
    words = command.lstrip("!").split(" ")
    verb = words[0].upper()
    if verb == "UPLOAD":
        with open(os.path.join(folder, words[1]), "rb") as f:
            content = f.read()
        request = f"UPLOAD {words[1]} {base64.b64encode(content).decode()}"
        note = f"{len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()}"
    else:
        request, note = " ".join([verb] + words[1:]), ""
    reply = send(request)
    if verb == "GET" and reply.get("status") == "OK":
        content = base64.b64decode(reply["data_file"])
        with open(os.path.join(folder, reply["data_namafile"]), "wb") as f:
            f.write(content)
        note = f"{len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()}"
    else:
        note = f"{note} {reply.get('data')}".strip()
    status = reply.get("status")
    ok &= status == want
    print(f"{command.lstrip('!')[:30]}: {status} {note}{'' if status == want else f'  (wanted {want})'}")
sys.exit(0 if ok else 1)
