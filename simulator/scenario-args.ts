/** `trapped-passenger:elevator-2` → `{ name: 'trapped-passenger', device: 'elevator-2' }`; the device is optional. */
export function parseScenarioArgs(args: readonly string[]): Array<{ name: string; device?: string }> {
  return args.map((arg) => {
    const colon = arg.indexOf(':');
    if (colon < 0) return { name: arg };
    const device = arg.slice(colon + 1);
    // `name:` with nothing after the colon means the scenario's default device.
    return device ? { name: arg.slice(0, colon), device } : { name: arg.slice(0, colon) };
  });
}
