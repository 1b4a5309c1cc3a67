#!/usr/bin/env python3
"""Modbus RTU serial server for facility-gw's integration tests, on Debian's python3-pymodbus (3.0).

Serves the same units and values as the TCP server (pymodbus_server.py, whose datastore it imports):
unit 1 an elevator, unit 2 a pump whose holding register 0 answers exception 2. Any other unit id gets
no answer at all (the RTU framer drops frames for unknown units), so the client times out.

The serial server of pymodbus needs pyserial and pyserial-asyncio (python3-serial, python3-serial-asyncio).

On a pty, open with parity N: the kernel clears PARENB on a pty, glibc's tcsetattr then fails with EINVAL
when nothing else changes, and pyserial-asyncio reconfigures the port right after opening it, so a pty
opened with parity E or O fails. Parity means nothing on a pty anyway.

Usage: pymodbus_rtu_server.py DEVICE BAUDRATE PARITY
  DEVICE    serial device (a pty end of a socat pair in the tests)
  BAUDRATE  e.g. 19200
  PARITY    N, E or O
Prints "READY DEVICE" once the port is open, 8 data bits, 1 stop bit.
"""
import asyncio
import sys

from pymodbus.server.async_io import StartAsyncSerialServer
from pymodbus.transaction import ModbusRtuFramer

sys.dont_write_bytecode = True  # no __pycache__ beside the test sources
from pymodbus_server import server_context  # noqa: E402  (beside this script, so on sys.path)


async def main(device, baudrate, parity):
    server = await StartAsyncSerialServer(
        context=server_context(),
        framer=ModbusRtuFramer,
        port=device,
        baudrate=baudrate,
        parity=parity,
        bytesize=8,
        stopbits=1,
        defer_start=True,
    )
    await server.start()
    # start() logs and swallows some failures to open the port; only a transport means it is open.
    if server.transport is None:
        sys.exit(f"cannot open {device} (a pty needs parity N)")
    print(f"READY {device}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in ("N", "E", "O"):
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
