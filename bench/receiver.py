"""A webhook receiver for `python -m bench --webhook`: answers every POST 204 as fast as asyncio can, and counts
them (in a thread of the bench process, on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time


class Receiver:
    def __init__(self):
        self.count = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hook"
        threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True).start()

    def wait_for(self, count: int, timeout: float = 300) -> float:
        """Seconds until `count` deliveries have arrived (RuntimeError after `timeout`)."""
        began = time.monotonic()
        while self.count < count:
            if time.monotonic() - began > timeout:
                raise RuntimeError(f"{self.count} of {count} webhook deliveries arrived in {timeout:.0f} s")
            time.sleep(0.05)
        return time.monotonic() - began

    async def _serve(self) -> None:
        server = await asyncio.start_server(self._answer, sock=self._sock)
        async with server:
            await server.serve_forever()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                self.count += 1
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
