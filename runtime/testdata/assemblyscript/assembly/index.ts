// kitchen: an AssemblyScript plugin built with sdk/assemblyscript, for the
// runtime's tests. Record data selects a behaviour: "drop", "fail",
// "key:<v>" (Ok with the key k=<v>), "log:<msg>" (logs <msg> at warn),
// "abort" (a failed assertion: the SDK's abort handler logs and traps);
// anything else comes back Ok with the configured prefix. The configuration
// is the prefix itself; "reject" makes init fail.
import { Level, Record, Result, handleInit, handleRecord, log } from "wasmhose-sdk/assembly";
export * from "wasmhose-sdk/assembly/exports";

let prefix = new Uint8Array(0);

function startsWith(d: Uint8Array, s: string): bool {
  if (d.length < s.length) return false;
  for (let i = 0; i < s.length; i++) if (<i32>d[i] != s.charCodeAt(i)) return false;
  return true;
}

function is(d: Uint8Array, s: string): bool {
  return d.length == s.length && startsWith(d, s);
}

handleInit((config: Uint8Array): string | null => {
  if (is(config, "reject")) return "config asked init to fail";
  prefix = config.slice();
  return null;
});

handleRecord((r: Record): Result => {
  const d = r.data;
  if (is(d, "drop")) return Result.dropped();
  if (is(d, "fail")) return Result.failed("record asked to fail");
  if (startsWith(d, "key:")) return Result.ok(d).withPartitionKeyBytes("k", d.subarray(4)).withPartitionKey("arrival", r.arrivalMillis.toString());
  if (startsWith(d, "log:")) {
    log(Level.Warn, String.UTF8.decode(d.slice(4).buffer));
    return Result.ok(d);
  }
  if (is(d, "abort")) assert(false, "record asked to abort");
  const out = new Uint8Array(prefix.length + d.length);
  out.set(prefix);
  out.set(d, prefix.length);
  return Result.ok(out);
});
