/**
 * Splits the objects of one poll into ReadPropertyMultiple requests whose replies fit the device's
 * largest APDU. A reply's size is estimated from above per property, so that a planned request never
 * provokes a "segmentation not supported" abort from a device that sizes its replies honestly; when a
 * device aborts anyway, the driver halves the budget and plans again (`shrinkBudget`).
 */

export interface ReadItem {
  /** Stable key of the object within the device (`analog-input_3`). */
  key: string;
  objectType: number;
  instance: number;
  properties: number[];
}

/** Complex-ACK header: PDU type, invoke id, service choice. */
export const COMPLEX_ACK_HEADER_BYTES = 3;
/** Object identifier (context tag + 4 bytes) plus the opening and closing tag of its result list. */
const OBJECT_OVERHEAD_BYTES = 7;
/** Property identifier (tag + up to 2 bytes), array index room, opening and closing tag of the value. */
const PROPERTY_OVERHEAD_BYTES = 6;
/**
 * The largest value the driver reads (a REAL, an enumeration or unsigned of up to 4 bytes, the
 * status-flags bit string), or a property error (class and code in an opening/closing tag pair).
 */
const PROPERTY_VALUE_BYTES = 7;
/** The smallest APDU BACnet allows. */
export const MIN_APDU_BYTES = 50;

export function estimateReplyBytes(item: ReadItem): number {
  return OBJECT_OVERHEAD_BYTES + item.properties.length * (PROPERTY_OVERHEAD_BYTES + PROPERTY_VALUE_BYTES);
}

/** Bytes of reply payload a device with this max APDU can send in one unsegmented reply. */
export function replyBudget(maxApdu: number): number {
  return Math.max(MIN_APDU_BYTES, maxApdu) - COMPLEX_ACK_HEADER_BYTES;
}

/**
 * Greedy packing in the given order (objects of one device are usually numbered together, and an order
 * kept stable poll after poll keeps batches stable). An object too big for the budget on its own still
 * gets a batch of its own: the device will say whether it fits.
 */
export function planBatches(items: readonly ReadItem[], budgetBytes: number): ReadItem[][] {
  const batches: ReadItem[][] = [];
  let current: ReadItem[] = [];
  let used = 0;
  for (const item of items) {
    const size = estimateReplyBytes(item);
    if (current.length > 0 && used + size > budgetBytes) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** After a too-big abort for `batch`: half of what that batch was estimated at, never below one object. */
export function shrinkBudget(batch: readonly ReadItem[]): number {
  const estimate = batch.reduce((sum, item) => sum + estimateReplyBytes(item), 0);
  const smallest = Math.min(...batch.map(estimateReplyBytes));
  return Math.max(smallest, Math.floor(estimate / 2));
}
