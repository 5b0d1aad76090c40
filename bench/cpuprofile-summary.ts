/**
 * Summarise a V8 `.cpuprofile` (from `bench/profile.ts` or `node --cpu-prof`): self time by area
 * (`@ops/<package>`, dependency, node internals, GC, idle = waiting for I/O such as fsync), self time
 * by function, and inclusive time of the workspace packages' functions.
 *
 *   node --conditions=@ops/source --import tsx bench/cpuprofile-summary.ts <file.cpuprofile> [--top 15]
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
  };
  readonly children?: readonly number[] | undefined;
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples?: readonly number[] | undefined;
  readonly timeDeltas?: readonly number[] | undefined;
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly byArea: readonly (readonly [string, number])[];
  readonly selfByFunction: readonly (readonly [string, number])[];
  readonly inclusivePackageFunctions: readonly (readonly [string, number])[];
}

/** `@ops/<pkg>` for workspace sources, the package name for dependencies, else a bucket. */
export function areaOf(node: CpuProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (url === "") {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(idle)") return "(idle: waiting for I/O)";
    if (functionName === "(program)") return "(program)";
    return "(native)";
  }
  const workspace = /\/packages\/([^/]+)\/src\//.exec(url);
  if (workspace !== null) return `@ops/${workspace[1]}`;
  const dependency = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency !== null) return dependency[1] ?? "dependency";
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("/bench/")) return "bench";
  return "other";
}

function shortUrl(url: string): string {
  const workspace = /\/(packages\/[^?]+)/.exec(url);
  if (workspace !== null) return workspace[1] ?? url;
  const dependency = /.*\/node_modules\/(.+)/.exec(url);
  if (dependency !== null) return dependency[1] ?? url;
  return url.replace(/^file:\/\//, "");
}

/**
 * `name  file`. tsx emits each module's code on one line, so positions in the profile are not
 * source lines; anonymous functions are told apart by their generated column instead.
 */
function functionKey(node: CpuProfileNode): string {
  const { functionName, url, columnNumber } = node.callFrame;
  const name = functionName === "" ? `(anonymous@${columnNumber})` : functionName;
  return url === "" ? name : `${name}  ${shortUrl(url)}`;
}

function add(map: Map<string, number>, key: string, ms: number): void {
  map.set(key, (map.get(key) ?? 0) + ms);
}

function sorted(map: Map<string, number>): [string, number][] {
  return [...map.entries()].sort((a, b) => b[1] - a[1]);
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Self time: each sample is charged the interval up to the next sample (µs → ms).
  const selfMs = new Map<number, number>();
  for (let i = 0; i < samples.length; i += 1) {
    const id = samples[i];
    const delta = deltas[i + 1] ?? 0;
    if (id !== undefined) selfMs.set(id, (selfMs.get(id) ?? 0) + delta / 1000);
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byArea = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    add(byArea, areaOf(node), ms);
    add(selfByFunction, functionKey(node), ms);
  }
  // Inclusive time of workspace functions: every distinct key on the stack gets the node's self time.
  const inclusive = new Map<string, number>();
  const root = profile.nodes[0];
  const walk = (node: CpuProfileNode, stack: readonly string[]) => {
    const key = areaOf(node).startsWith("@ops/") ? functionKey(node) : null;
    const here = key !== null && !stack.includes(key) ? [...stack, key] : stack;
    const ms = selfMs.get(node.id) ?? 0;
    if (ms > 0) for (const active of here) add(inclusive, active, ms);
    for (const child of node.children ?? []) {
      const next = byId.get(child);
      if (next !== undefined) walk(next, here);
    }
  };
  if (root !== undefined) walk(root, []);
  const totalMs = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0);
  return {
    totalMs,
    byArea: sorted(byArea),
    selfByFunction: sorted(selfByFunction),
    inclusivePackageFunctions: sorted(inclusive),
  };
}

export function printSummary(summary: ProfileSummary, top = 15): void {
  const pct = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%`;
  const section = (title: string, rows: readonly (readonly [string, number])[]) => {
    process.stdout.write(`${title}\n`);
    for (const [key, ms] of rows.slice(0, top)) {
      process.stdout.write(`  ${ms.toFixed(1).padStart(9)} ms ${pct(ms)}  ${key}\n`);
    }
    process.stdout.write("\n");
  };
  process.stdout.write(`sampled ${summary.totalMs.toFixed(1)} ms\n\n`);
  section("self time by area", summary.byArea);
  section("self time by function", summary.selfByFunction);
  section("inclusive time of @ops/* functions (synchronous stacks)", summary.inclusivePackageFunctions);
}

const invoked = process.argv[1] === undefined ? "" : path.resolve(process.argv[1]);
if (invoked === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: { top: { type: "string", default: "15" } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (file === undefined) throw new Error("usage: cpuprofile-summary.ts <file.cpuprofile> [--top 15]");
  printSummary(summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile), Number(values.top));
}
