#!/usr/bin/env python3
"""Modbus TCP server for facility-gw's integration tests, on Debian's python3-pymodbus (3.0).

Serves fixed values laid out by the register maps of two built-in profiles, encoded here with Python's
struct module so that the gateway's codec is checked against an independent implementation:

  unit 1: elevator-modbus-v1 (input registers 0-13, run_hours a float32 in CDAB word order)
  unit 2: pump-vfd-v1 (discrete inputs 0-2, input registers 0-18); its holding register 0 is left out on
          purpose, so reading it answers exception 2 (illegal data address).

Any other unit id gets no answer at all (pymodbus ignores unknown units), so the client times out.

Usage: pymodbus_server.py PORT   -- listens on 127.0.0.1:PORT and prints "READY PORT" once it accepts.
"""
import asyncio
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server.async_io import ModbusTcpServer


def words(fmt, value):
    """Big-endian 16-bit words of a struct-packed value (ABCD order)."""
    raw = struct.pack(">" + fmt, value)
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


def cdab(ws):
    """Low word first (CDAB), as many elevator controllers store floats."""
    return list(reversed(ws))


ELEVATOR_INPUT = (
    words("h", -2)  # 0 floor
    + [1]  # 1 direction: up
    + [2]  # 2 door_state: open
    + [0]  # 3 mode: in_service
    + [0]  # 4 fault_code: none
    + [0b0000_0110]  # 5 status: passenger_trapped (bit 1), in_door_zone (bit 2)
    + [45]  # 6 load %
    + words("I", 123456)  # 7-8 run_count
    + cdab(words("f", 5321.5))  # 9-10 run_hours, CDAB
    + words("I", 200000)  # 11-12 door_cycles
    + words("h", -125)  # 13 speed: -1.25 m/s at scale 0.01
)

PUMP_INPUT = (
    words("f", 6.5)  # 0-1 discharge_pressure bar
    + words("f", 1.25)  # 2-3 suction_pressure bar
    + words("f", 42.5)  # 4-5 flow m3/h
    + [123]  # 6 motor_current: 12.3 A at scale 0.1
    + [4999]  # 7 frequency: 49.99 Hz at scale 0.01
    + words("h", -54)  # 8 motor_temperature: -5.4 degC at scale 0.1
    + [482]  # 9 bearing_temperature: 48.2 degC
    + [210]  # 10 vibration: 2.1 mm/s
    + [345]  # 11 level: 3.45 m
    + words("d", 1234.5)  # 12-15 run_hours, float64
    + words("I", 321)  # 16-17 start_count
    + [3]  # 18 fault_code: dry_run
)


def unit(discrete, inputs, holding_start):
    return ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, discrete),
        co=ModbusSequentialDataBlock(0, [False]),
        ir=ModbusSequentialDataBlock(0, inputs),
        hr=ModbusSequentialDataBlock(holding_start, [650]),
        zero_mode=True,  # protocol address n is datastore address n (no 1-based shift)
    )


def server_context():
    """Units 1 and 2 as described above; shared with the RTU server (pymodbus_rtu_server.py)."""
    return ModbusServerContext(
        slaves={
            1: unit([False], ELEVATOR_INPUT, 0),
            2: unit([True, False, True], PUMP_INPUT, 100),
        },
        single=False,
    )


async def main(port):
    context = server_context()
    server = ModbusTcpServer(context, address=("127.0.0.1", port), allow_reuse_address=True)
    serving = asyncio.create_task(server.serve_forever())
    await server.serving
    print(f"READY {port}", flush=True)
    await serving


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
