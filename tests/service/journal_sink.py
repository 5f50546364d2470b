"""A stand-in for journald: reads the native journal protocol on a datagram
socket and writes one JSON object per entry (fields by name) to a file.
usage: journal_sink.py SOCKET OUT_JSONL
"""
import json
import os
import socket
import struct
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if os.path.exists(path):
    os.unlink(path)
s.bind(path)
with open(out, "a", buffering=1) as f:
    while True:
        data = s.recv(1 << 20)
        entry, i = {}, 0
        while i < len(data):
            nl = data.index(b"\n", i)
            line = data[i:nl]
            if b"=" in line:  # KEY=value
                k, v = line.split(b"=", 1)
                i = nl + 1
            else:  # KEY\n<le64 length><value>\n
                k = line
                (n,) = struct.unpack_from("<Q", data, nl + 1)
                v = data[nl + 9:nl + 9 + n]
                i = nl + 9 + n + 1
            entry[k.decode()] = v.decode(errors="replace")
        f.write(json.dumps(entry) + "\n")
