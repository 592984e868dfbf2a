"""A TLS client of the course's TLS server (modules 1a and 8).

Usage: python3 tls_client.py HOST PORT [--sni NAME] [--cafile CERT] [--tls12] [--cipher LIST]
                             [--alpn PROTO,...] [--expect VERSION]
Connects to HOST:PORT, sends NAME as SNI (default HOST), offers the ALPN protocols given, then
sends the command versi\\r\\n\\r\\n and reads the JSON reply up to \\r\\n\\r\\n; then closes
cleanly (close_notify, waiting for the server's, then FIN). With --cafile the server's
certificate is verified against CERT (a self-signed one: it is its own CA) and NAME must be in
its subjectAltName; without it the certificate is not verified. --tls12 caps the connection at
TLS 1.2 (maximum_version), --cipher sets the TLS 1.2 cipher suites (OpenSSL names).
Exit 0 when the reply was {"versi": "1.0"} (and the version was VERSION, with --expect);
1 otherwise. What was negotiated is printed either way.
"""
import json
import socket
import ssl
import sys

args, opts = [], {"--sni": None, "--cafile": None, "--cipher": None, "--alpn": None,
                  "--expect": None}
tls12 = False
it = iter(sys.argv[1:])
for a in it:
    if a == "--tls12":
        tls12 = True
    elif a in opts:
        opts[a] = next(it)
    else:
        args.append(a)
host, port = args[0], int(args[1]) if len(args) > 1 else 8443
sni = opts["--sni"] or host

context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
if opts["--cafile"]:
    context.load_verify_locations(opts["--cafile"])
else:
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
if tls12:
    context.maximum_version = ssl.TLSVersion.TLSv1_2
if opts["--cipher"]:
    context.set_ciphers(opts["--cipher"])
if opts["--alpn"]:
    context.set_alpn_protocols(opts["--alpn"].split(","))

raw = socket.create_connection((host, port), timeout=5)
# As http.client does: the request goes out right after the handshake's Finished instead of
# waiting for the server's delayed ACK of it (Nagle).
raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
tls = context.wrap_socket(raw, server_hostname=sni)
version = tls.version()
print(f"{version} {tls.cipher()[0]} SNI {sni!r} ALPN {tls.selected_alpn_protocol()!r}")
cert = tls.getpeercert()
if cert:
    subject = ", ".join(f"{k}={v}" for rdn in cert["subject"] for k, v in rdn)
    print(f"certificate {subject}, SAN {', '.join(f'{k}:{v}' for k, v in cert['subjectAltName'])}")
tls.sendall(b"versi\r\n\r\n")
buf = b""
while b"\r\n\r\n" not in buf:
    data = tls.recv(1024)
    if not data:
        sys.exit("the server closed before answering")
    buf += data
reply = buf.split(b"\r\n\r\n", 1)[0].decode()
print(f"versi -> {reply}")
tls.unwrap().close()  # close_notify, the server's, then FIN
ok = json.loads(reply) == {"versi": "1.0"}
if opts["--expect"] and version != opts["--expect"]:
    print(f"wanted {opts['--expect']}")
    ok = False
sys.exit(0 if ok else 1)
