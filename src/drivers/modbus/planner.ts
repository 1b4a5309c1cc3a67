import { isBitTable, registerCount, type ModbusPointDef, type RegisterTable } from '../../profiles/types.js';

/**
 * Read planning: the points of one unit become as few block reads as the limits allow. Each Modbus request
 * costs a round trip (tens of milliseconds on an RTU bus), so reading 16 registers in one request rather
 * than 12 requests is what keeps a shared bus on schedule.
 */

/** Protocol maxima (Modbus application protocol v1.1b3): FC3/FC4 read ≤ 125 registers, FC1/FC2 ≤ 2000 bits. */
export const MODBUS_MAX_REGISTERS_PER_READ = 125;
export const MODBUS_MAX_BITS_PER_READ = 2000;
const ADDRESS_SPACE = 0x10000;

export interface PlanLimits {
  /** Unused registers (or bits, for coils and discrete inputs) a block may span to merge two ranges. */
  maxGapRegisters: number;
  /** At most 125. */
  maxRegistersPerRead: number;
  /** At most 2000. */
  maxBitsPerRead: number;
}

export interface PlannedPoint {
  def: ModbusPointDef;
  /** Position of the point's first register (or bit) within the block. */
  offset: number;
}

export interface ReadBlock {
  table: RegisterTable;
  start: number;
  /** Registers, or bits for coils and discrete inputs. */
  count: number;
  points: PlannedPoint[];
}

/** Tables in the order their blocks are read: bits first, then registers, each by address. */
const TABLE_ORDER: readonly RegisterTable[] = ['coil', 'discrete', 'input', 'holding'];

/** A run of points whose address ranges overlap (several `bit` points in one register, say). */
interface Cluster {
  start: number;
  end: number;
  points: ModbusPointDef[];
}

function readLimit(table: RegisterTable, limits: PlanLimits): number {
  const limit = isBitTable(table)
    ? Math.min(limits.maxBitsPerRead, MODBUS_MAX_BITS_PER_READ)
    : Math.min(limits.maxRegistersPerRead, MODBUS_MAX_REGISTERS_PER_READ);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`read limit for ${table} must be a positive integer, got ${limit}`);
  return limit;
}

function span(def: ModbusPointDef, table: RegisterTable): number {
  // A point in a one-bit table occupies one bit, whatever its declared type.
  return isBitTable(table) ? 1 : registerCount(def.type);
}

function checkAddress(def: ModbusPointDef): void {
  const end = def.address + span(def, def.table);
  if (!Number.isInteger(def.address) || def.address < 0 || end > ADDRESS_SPACE) {
    throw new Error(`point ${def.name}: address ${def.address} (${def.type}) is outside the Modbus address space 0..65535`);
  }
}

/** Groups the points of one table into clusters of overlapping ranges, sorted by address. */
function clustersOf(points: readonly ModbusPointDef[], table: RegisterTable, limit: number): Cluster[] {
  const sorted = [...points].sort((a, b) => a.address - b.address || span(a, table) - span(b, table));
  const clusters: Cluster[] = [];
  let current: Cluster | undefined;
  for (const def of sorted) {
    const end = def.address + span(def, table);
    if (current !== undefined && def.address < current.end) {
      current.end = Math.max(current.end, end);
      current.points.push(def);
    } else {
      current = { start: def.address, end, points: [def] };
      clusters.push(current);
    }
    if (current.end - current.start > limit) {
      throw new Error(`points overlapping ${table} ${current.start}..${current.end - 1} span more than one read of ${limit}`);
    }
  }
  return clusters;
}

function pointsByTable(points: readonly ModbusPointDef[]): Map<RegisterTable, ModbusPointDef[]> {
  const byTable = new Map<RegisterTable, ModbusPointDef[]>();
  for (const def of points) {
    checkAddress(def);
    const list = byTable.get(def.table);
    if (list === undefined) byTable.set(def.table, [def]);
    else list.push(def);
  }
  return byTable;
}

function toBlock(table: RegisterTable, clusters: readonly Cluster[]): ReadBlock {
  const first = clusters[0];
  const last = clusters[clusters.length - 1];
  if (first === undefined || last === undefined) throw new Error('empty block');
  const points: PlannedPoint[] = [];
  for (const cluster of clusters) for (const def of cluster.points) points.push({ def, offset: def.address - first.start });
  return { table, start: first.start, count: last.end - first.start, points };
}

/**
 * Plans the block reads of one unit. Per table, points are sorted by address; neighbouring ranges merge
 * when the unused gap between them is at most `maxGapRegisters` and the block stays within the read
 * limit. Overlapping points always share a block. Greedy merging is optimal here because clusters are
 * disjoint and sorted, and any sub-run of a feasible run is feasible (see `minimalBlockCount`).
 */
export function planReads(points: readonly ModbusPointDef[], limits: PlanLimits): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  const byTable = pointsByTable(points);
  for (const table of TABLE_ORDER) {
    const tablePoints = byTable.get(table);
    if (tablePoints === undefined) continue;
    const limit = readLimit(table, limits);
    let run: Cluster[] = [];
    for (const cluster of clustersOf(tablePoints, table, limit)) {
      const first = run[0];
      const last = run[run.length - 1];
      const fits =
        first !== undefined && last !== undefined && cluster.start - last.end <= limits.maxGapRegisters && cluster.end - first.start <= limit;
      if (!fits && run.length > 0) {
        blocks.push(toBlock(table, run));
        run = [];
      }
      run.push(cluster);
    }
    if (run.length > 0) blocks.push(toBlock(table, run));
  }
  return blocks;
}

/**
 * The fewest block reads that can serve these points under the limits, computed independently of the
 * planner by dynamic programming over clusters: best[j] = min over feasible runs i..j of best[i] + 1.
 * Benchmarks compare the planner's request count per poll cycle against it.
 */
export function minimalBlockCount(points: readonly ModbusPointDef[], limits: PlanLimits): number {
  let total = 0;
  for (const [table, tablePoints] of pointsByTable(points)) {
    const limit = readLimit(table, limits);
    const clusters = clustersOf(tablePoints, table, limit);
    const best = new Array<number>(clusters.length + 1).fill(Number.POSITIVE_INFINITY);
    best[0] = 0;
    for (let j = 0; j < clusters.length; j++) {
      const last = clusters[j];
      if (last === undefined) continue;
      for (let i = j; i >= 0; i--) {
        const first = clusters[i];
        const next = clusters[i + 1];
        if (first === undefined) break;
        if (last.end - first.start > limit) break;
        if (i < j && next !== undefined && next.start - first.end > limits.maxGapRegisters) break;
        best[j + 1] = Math.min(best[j + 1] ?? Number.POSITIVE_INFINITY, (best[i] ?? Number.POSITIVE_INFINITY) + 1);
      }
    }
    total += best[clusters.length] ?? 0;
  }
  return total;
}
