"""bench/latency.py's keep-alive client reads answers framed either way a server may
send them: Go's net/http sends an answer past its buffer chunked, which ended the
bench's one-client run against the Go original with a StopIteration."""

import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from latency import KeepAliveClient

ANSWERS = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
]


def test_content_length_and_chunked_answers_on_one_connection():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            for answer in ANSWERS:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += connection.recv(1024)
                connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = KeepAliveClient(port)
    try:
        assert [client.get(f"/{n}") for n in range(3)] == [b"0123456789", b"hello world",
                                                           b"ok"]
    finally:
        client.close()
        listener.close()
    thread.join(5)
