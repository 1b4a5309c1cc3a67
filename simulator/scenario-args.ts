/** `trapped-passenger:elevator-2` → `{ name: 'trapped-passenger', device: 'elevator-2' }`; the device is optional. */
export function parseScenarioArgs(args: readonly string[]): Array<{ name: string; device?: string }> {
  return args.map((arg) => {
    const colon = arg.indexOf(':');
    return colon < 0 ? { name: arg } : { name: arg.slice(0, colon), device: arg.slice(colon + 1) };
  });
}
