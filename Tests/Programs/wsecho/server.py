"""A WebSocket echo server on 0.0.0.0:PORT, written with python3-websockets
(Debian's package), for the TCP-side program-under-test scenario.

    python3 Tests/Programs/wsecho/server.py PORT

It prints "ready" once listening and ends with status 0 on SIGTERM. Two
response headers would change from run to run and make the golden trace
differ: Date (fixed here to the epoch) and Server (it names the Python and
websockets versions; left out). Keepalive pings are off so no frame is sent
on a timer.

Each echo waits 300 ms, longer than the kernel's delayed-ACK timer (at most
200 ms): otherwise the frame's ACK rides on the echo when Python answers
within the timer and goes alone when it does not, and the packet count
would depend on how busy the machine is.
"""
import asyncio
import signal
import sys

import websockets


async def echo(websocket, path=None):
    async for message in websocket:
        await asyncio.sleep(0.3)
        await websocket.send(message)


async def main(port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(
        echo, "0.0.0.0", port,
        extra_headers={"Date": "Thu, 01 Jan 1970 00:00:00 GMT"},
        server_header=None, ping_interval=None,
    ):
        print("ready", flush=True)
        await stop


asyncio.run(main(int(sys.argv[1])))
